//! Rust code emitter for one schema message: structs, Default, decode/encode, testing impls.

use std::collections::HashMap;
use std::fmt::Write;

use super::schema::{field_ident, snake, Field, Msg, Ver};

#[derive(Clone, Debug)]
pub enum Ty {
    Prim(&'static str, &'static str),
    Str,
    Bytes,
    Records,
    Uuid,
    Array(Box<Ty>),
    Struct(String),
}

fn prim(t: &str) -> Option<Ty> {
    Some(match t {
        "int8" => Ty::Prim("i8", "int8"),
        "int16" => Ty::Prim("i16", "int16"),
        "int32" => Ty::Prim("i32", "int32"),
        "int64" => Ty::Prim("i64", "int64"),
        "uint16" => Ty::Prim("u16", "uint16"),
        "uint32" => Ty::Prim("u32", "uint32"),
        "float64" => Ty::Prim("f64", "float64"),
        "bool" => Ty::Prim("bool", "boolean"),
        "string" => Ty::Str,
        "bytes" => Ty::Bytes,
        "records" => Ty::Records,
        "uuid" => Ty::Uuid,
        _ => return None,
    })
}

/// A field with its resolved Rust type.
pub struct RField {
    pub f: Field,
    pub ty: Ty,
    pub ident: String,
}

pub struct SDef {
    pub name: String,
    pub doc: String,
    pub fields: Vec<RField>,
}

struct Ctx<'m> {
    msg: &'m Msg,
    defs: Vec<SDef>,
    seen: HashMap<String, Vec<(String, String)>>,
    notes: Vec<String>,
}

fn sig(fields: &[Field]) -> String {
    fields
        .iter()
        .map(|f| {
            format!(
                "{}:{}:{:?}:{:?}:{:?}:{:?}:{}",
                f.name,
                f.ty,
                f.versions,
                f.nullable,
                f.tag,
                f.default,
                f.fields.as_ref().map(|x| sig(x)).unwrap_or_default()
            )
        })
        .collect::<Vec<_>>()
        .join(";")
}

impl Ctx<'_> {
    fn define(&mut self, json_name: &str, fields: &[Field], doc: String) -> String {
        let s = sig(fields);
        let entry = self.seen.entry(json_name.to_owned()).or_default();
        if let Some((_, rust)) = entry.iter().find(|(sg, _)| *sg == s) {
            return rust.clone();
        }
        let rust = if entry.is_empty() {
            json_name.to_owned()
        } else {
            let n = format!("{json_name}{}", entry.len() + 1);
            self.notes.push(format!(
                "`{n}`: a second, different definition of `{json_name}` in this message"
            ));
            n
        };
        entry.push((s, rust.clone()));
        // Reserve the slot before recursing so parents precede children.
        let idx = self.defs.len();
        self.defs.push(SDef {
            name: rust.clone(),
            doc,
            fields: Vec::new(),
        });
        let rf = self.resolve_all(fields);
        self.defs[idx].fields = rf;
        rust
    }

    fn resolve_all(&mut self, fields: &[Field]) -> Vec<RField> {
        fields
            .iter()
            .map(|f| {
                let ty = self.resolve(f);
                RField {
                    f: f.clone(),
                    ty,
                    ident: field_ident(&f.name),
                }
            })
            .collect()
    }

    fn resolve(&mut self, f: &Field) -> Ty {
        let (is_array, base) = match f.ty.strip_prefix("[]") {
            Some(b) => (true, b),
            None => (false, f.ty.as_str()),
        };
        let inner = match prim(base) {
            Some(p) => p,
            None => {
                let doc = f
                    .about
                    .clone()
                    .unwrap_or_else(|| format!("Element of `{}`.", f.name));
                let name = match &f.fields {
                    Some(fs) => self.define(base, fs, doc),
                    None => {
                        let c = self
                            .msg
                            .common
                            .iter()
                            .find(|c| c.name == base)
                            .unwrap_or_else(|| panic!("unknown type {base} in {}", self.msg.name))
                            .clone();
                        self.define(base, &c.fields, doc)
                    }
                };
                Ty::Struct(name)
            }
        };
        if is_array {
            Ty::Array(Box::new(inner))
        } else {
            inner
        }
    }
}

pub struct Generated {
    pub code: String,
    pub notes: Vec<String>,
}

fn rust_ty(ty: &Ty) -> String {
    match ty {
        Ty::Prim(r, _) => (*r).into(),
        Ty::Str => "String".into(),
        Ty::Bytes | Ty::Records => "bytes::Bytes".into(),
        Ty::Uuid => "crate::primitives::Uuid".into(),
        Ty::Array(t) => format!("Vec<{}>", rust_ty(t)),
        Ty::Struct(n) => n.clone(),
    }
}

fn is_nullable(rf: &RField) -> bool {
    matches!(rf.ty, Ty::Records)
        || (rf.f.nullable != Ver::None && !matches!(rf.ty, Ty::Prim(..) | Ty::Uuid))
}

fn field_ty(rf: &RField) -> String {
    let t = rust_ty(&rf.ty);
    if is_nullable(rf) {
        format!("Option<{t}>")
    } else {
        t
    }
}

fn int_lit(d: &str, rust: &str) -> String {
    let d = d.trim();
    if rust == "f64" {
        let v: f64 = d.parse().unwrap_or(0.0);
        return format!("{v:?}");
    }
    if rust == "bool" {
        return (d == "true").to_string();
    }
    let v: i128 = if let Some(h) = d.strip_prefix("0x") {
        i128::from_str_radix(h, 16).expect("hex default")
    } else if d.is_empty() {
        0
    } else {
        d.parse().expect("int default")
    };
    format!("{v}")
}

fn default_expr(rf: &RField) -> String {
    let d = rf.f.default.as_deref();
    let null = d == Some("null");
    let inner = match &rf.ty {
        Ty::Prim(r, _) => return int_lit(d.unwrap_or("0"), r),
        Ty::Uuid => return "crate::primitives::Uuid::ZERO".into(),
        Ty::Records => return "None".into(),
        Ty::Str => format!(
            "String::from({:?})",
            if null { "" } else { d.unwrap_or("") }
        ),
        Ty::Bytes => "bytes::Bytes::new()".into(),
        Ty::Array(_) => "Vec::new()".into(),
        Ty::Struct(n) => format!("{n}::default()"),
    };
    if is_nullable(rf) {
        if null {
            "None".into()
        } else {
            format!("Some({inner})")
        }
    } else {
        inner
    }
}

fn doc(out: &mut String, indent: &str, text: &str) {
    let _ = writeln!(out, "{indent}#[doc = {text:?}]");
}

/// Decode expression for an element/value of type `ty`, non-null.
fn dec_value(ty: &Ty, flex: &str) -> String {
    match ty {
        Ty::Prim(_, r) => format!("d.{r}()?"),
        Ty::Str => format!("d.string({flex})?"),
        Ty::Bytes | Ty::Records => format!("d.bytes({flex})?"),
        Ty::Uuid => "d.uuid()?".into(),
        Ty::Array(t) => format!("d.array({flex}, |d| {})?", dec_elem(t, flex)),
        Ty::Struct(n) => format!("{n}::decode_versioned(d, version)?"),
    }
}

fn dec_elem(ty: &Ty, flex: &str) -> String {
    match ty {
        Ty::Prim(_, r) => format!("d.{r}()"),
        Ty::Str => format!("d.string({flex})"),
        Ty::Struct(n) => format!("{n}::decode_versioned(d, version)"),
        _ => panic!("unsupported array element {ty:?}"),
    }
}

fn dec_field(rf: &RField, flex: &str, ncond: &str) -> String {
    if !is_nullable(rf) {
        return dec_value(&rf.ty, flex);
    }
    let nullable_read = match &rf.ty {
        Ty::Str => format!("d.nullable_string({flex})?"),
        Ty::Bytes | Ty::Records => format!("d.nullable_bytes({flex})?"),
        Ty::Array(t) => format!("d.nullable_array({flex}, |d| {})?", dec_elem(t, flex)),
        Ty::Struct(n) => {
            format!(
                "if d.int8()? < 0 {{ None }} else {{ Some({n}::decode_versioned(d, version)?) }}"
            )
        }
        _ => unreachable!(),
    };
    match ncond {
        "true" => nullable_read,
        "false" => format!("Some({})", dec_value(&rf.ty, flex)),
        c => format!(
            "if {c} {{ {nullable_read} }} else {{ Some({}) }}",
            dec_value(&rf.ty, flex)
        ),
    }
}

/// Encode statements for a non-null value `v` (an expression of type `&T`).
fn enc_value(ty: &Ty, v: &str, flex: &str) -> String {
    match ty {
        Ty::Prim(_, r) => {
            let w = if *r == "boolean" { "bool" } else { r };
            format!("p::put_{w}(out, *{v});")
        }
        Ty::Str => format!("p::put_string(out, {v}, {flex})?;"),
        Ty::Bytes | Ty::Records => format!("p::put_bytes(out, {v}, {flex})?;"),
        Ty::Uuid => format!("p::put_uuid(out, {v});"),
        Ty::Array(t) => format!(
            "p::put_array_len(out, ({v}).len(), {flex})?; for e in ({v}).iter() {{ {} }}",
            enc_value(t, "e", flex)
        ),
        Ty::Struct(_) => format!("({v}).encode_versioned(out, version)?;"),
    }
}

fn enc_field(rf: &RField, sname: &str, flex: &str, ncond: &str) -> String {
    let v = format!("self.{}", rf.ident);
    if !is_nullable(rf) {
        return enc_value(&rf.ty, &format!("&{v}"), flex);
    }
    let null = match &rf.ty {
        Ty::Str => format!("p::put_nullable_string(out, None, {flex})?;"),
        Ty::Bytes | Ty::Records => format!("p::put_nullable_bytes(out, None, {flex})?;"),
        Ty::Array(_) => format!("p::put_null_array(out, {flex});"),
        Ty::Struct(_) => "p::put_int8(out, -1);".into(),
        _ => unreachable!(),
    };
    let present_prefix = if matches!(rf.ty, Ty::Struct(_)) && ncond != "false" {
        if ncond == "true" {
            "p::put_int8(out, 1);".to_string()
        } else {
            format!("if {ncond} {{ p::put_int8(out, 1); }}")
        }
    } else {
        String::new()
    };
    let err = format!(
        "return Err(EncodeError::NullNotAllowed({:?}))",
        format!("{sname}.{}", rf.f.name)
    );
    let none_arm = match ncond {
        "true" => null,
        "false" => err,
        c => format!("if {c} {{ {null} }} else {{ {err} }}"),
    };
    format!(
        "match &{v} {{ Some(x) => {{ {present_prefix} {} }} None => {{ {none_arm} }} }}",
        enc_value(&rf.ty, "x", flex)
    )
}

fn ncond_of(rf: &RField, lo: i16, hi: i16) -> String {
    match rf.f.versions {
        Ver::Range(a, b) => rf.f.nullable.cond(a.max(lo), b.map_or(hi, |b| b.min(hi))),
        Ver::None => "false".into(),
    }
}

fn emit_struct(out: &mut String, m: &Msg, s: &SDef, top: bool) {
    let (lo, hi) = (m.lo, m.hi);
    doc(out, "", &s.doc);
    out.push_str("#[derive(Debug, Clone, PartialEq)]\n");
    let _ = writeln!(out, "pub struct {} {{", s.name);
    for rf in &s.fields {
        let mut d =
            rf.f.about
                .clone()
                .unwrap_or_else(|| format!("The `{}` field.", rf.f.name));
        let _ = write!(d, " (versions {}", rf.f.versions.describe());
        if rf.f.nullable != Ver::None {
            let _ = write!(d, ", nullable {}", rf.f.nullable.describe());
        }
        if let Some(t) = rf.f.tag {
            let _ = write!(d, ", tag {t}");
        }
        d.push(')');
        doc(out, "    ", &d);
        let _ = writeln!(out, "    pub {}: {},", rf.ident, field_ty(rf));
    }
    out.push_str("}\n\n");

    let _ = writeln!(
        out,
        "impl Default for {} {{\n    fn default() -> Self {{\n        Self {{",
        s.name
    );
    for rf in &s.fields {
        let _ = writeln!(out, "            {}: {},", rf.ident, default_expr(rf));
    }
    out.push_str("        }\n    }\n}\n\n");

    let flex_msg = m.flexible.cond(lo, hi);
    let tagged: Vec<&RField> = {
        let mut t: Vec<&RField> = s.fields.iter().filter(|f| f.f.tag.is_some()).collect();
        t.sort_by_key(|f| f.f.tag);
        t
    };
    let fflex = |rf: &RField| {
        rf.f.flexible
            .map_or_else(|| "flex".to_string(), |v| v.cond(lo, hi))
    };
    let present = |rf: &RField| {
        let a = rf.f.versions.cond(lo, hi);
        if rf.f.tag.is_some() {
            let b = rf.f.tagged.cond(lo, hi);
            match (a.as_str(), b.as_str()) {
                ("true", _) => b,
                (_, "true") => a,
                _ => format!("({a}) && ({b})"),
            }
        } else {
            a
        }
    };

    let _ = writeln!(out, "impl {} {{", s.name);
    doc(
        out,
        "    ",
        "Decodes this struct at `version` (no version-range check).",
    );
    out.push_str("    pub fn decode_versioned(d: &mut p::Decoder<'_>, version: i16) -> Result<Self, DecodeError> {\n");
    let _ = writeln!(
        out,
        "        let _ = version;\n        let flex: bool = {flex_msg};\n        let _ = flex;"
    );
    out.push_str("        #[allow(unused_mut)]\n        let mut this = Self::default();\n");
    for rf in s.fields.iter().filter(|f| f.f.tag.is_none()) {
        let cond = present(rf);
        let ncond = ncond_of(rf, lo, hi);
        let stmt = format!("this.{} = {};", rf.ident, dec_field(rf, &fflex(rf), &ncond));
        match cond.as_str() {
            "true" => {
                let _ = writeln!(out, "        {stmt}");
            }
            "false" => {}
            c => {
                let _ = writeln!(out, "        if {c} {{ {stmt} }}");
            }
        }
    }
    out.push_str(
        "        if flex {\n            d.tagged_fields(|tag, d| {\n                match tag {\n",
    );
    for rf in &tagged {
        let ncond = ncond_of(rf, lo, hi);
        let c = present(rf);
        let _ = writeln!(
            out,
            "                    {} if {c} => {{ this.{} = {}; }}",
            rf.f.tag.unwrap_or(0),
            rf.ident,
            dec_field(rf, "true", &ncond)
        );
    }
    out.push_str("                    _ => { let _ = d; }\n                }\n                Ok(())\n            })?;\n        }\n        Ok(this)\n    }\n\n");

    doc(
        out,
        "    ",
        "Encodes this struct at `version` (no version-range check).",
    );
    out.push_str("    pub fn encode_versioned(&self, out: &mut bytes::BytesMut, version: i16) -> Result<(), EncodeError> {\n");
    let _ = writeln!(
        out,
        "        let _ = version;\n        let flex: bool = {flex_msg};\n        let _ = flex;"
    );
    for rf in s.fields.iter().filter(|f| f.f.tag.is_none()) {
        let cond = present(rf);
        let ncond = ncond_of(rf, lo, hi);
        let stmt = enc_field(rf, &s.name, &fflex(rf), &ncond);
        match cond.as_str() {
            "true" => {
                let _ = writeln!(out, "        {stmt}");
            }
            "false" => {}
            c => {
                let _ = writeln!(out, "        if {c} {{ {stmt} }}");
            }
        }
    }
    out.push_str("        if flex {\n");
    if tagged.is_empty() {
        out.push_str("            p::put_empty_tagged_fields(out);\n");
    } else {
        out.push_str("            let dflt = Self::default();\n            let mut n: u32 = 0;\n");
        for rf in &tagged {
            let _ = writeln!(
                out,
                "            if {} && self.{id} != dflt.{id} {{ n += 1; }}",
                present(rf),
                id = rf.ident
            );
        }
        out.push_str("            p::put_unsigned_varint(out, n);\n");
        for rf in &tagged {
            let ncond = ncond_of(rf, lo, hi);
            let _ = writeln!(
                out,
                "            if {} && self.{id} != dflt.{id} {{ let mut buf = bytes::BytesMut::new(); {{ let out = &mut buf; {} }} p::put_tagged_field(out, {}, &buf)?; }}",
                present(rf),
                enc_field(rf, &s.name, "true", &ncond),
                rf.f.tag.unwrap_or(0),
                id = rf.ident
            );
        }
    }
    out.push_str("        }\n        Ok(())\n    }\n}\n\n");

    // Testing helpers.
    let _ = writeln!(out, "#[cfg(feature = \"testing\")]\nimpl super::testing::Random for {} {{\n    fn random(rng: &mut super::testing::TestRng) -> Self {{\n        Self {{", s.name);
    for rf in &s.fields {
        let _ = writeln!(
            out,
            "            {}: super::testing::Random::random(rng),",
            rf.ident
        );
    }
    out.push_str("        }\n    }\n}\n\n");
    let _ = writeln!(out, "#[cfg(feature = \"testing\")]\nimpl super::testing::Normalize for {} {{\n    fn normalize(&mut self, version: i16) {{\n        let mut dflt = Self::default();\n        let _ = (&mut dflt, version);", s.name);
    for rf in &s.fields {
        let id = &rf.ident;
        let c = present(rf);
        let ncond = ncond_of(rf, lo, hi);
        let _ = writeln!(
            out,
            "        if !({c}) {{ self.{id} = std::mem::take(&mut dflt.{id}); }} else {{"
        );
        if is_nullable(rf) && ncond != "true" {
            let _ = writeln!(out, "            if !({ncond}) && self.{id}.is_none() {{ self.{id} = Some(Default::default()); }}");
        }
        let _ = writeln!(out, "            super::testing::Normalize::normalize(&mut self.{id}, version);\n        }}");
    }
    out.push_str("    }\n}\n\n");
    let _ = top;
}

/// Emits `for_each_error_code`: every int16 field named `ErrorCode` of the struct and of the
/// structs it holds (directly, in arrays, or nullable), the codes Kafka's `errorCounts()`
/// reports for a response.
fn emit_error_visitor(out: &mut String, s: &SDef) {
    let _ = writeln!(out, "impl {} {{", s.name);
    doc(
        out,
        "    ",
        "Calls `f` with every `error_code` field of this struct and of the structs it holds.",
    );
    out.push_str("    pub fn for_each_error_code(&self, f: &mut dyn FnMut(i16)) {\n");
    for rf in &s.fields {
        let id = &rf.ident;
        let opt = is_nullable(rf);
        match &rf.ty {
            Ty::Prim("i16", _) if rf.f.name == "ErrorCode" => {
                let _ = writeln!(out, "        f(self.{id});");
            }
            Ty::Struct(_) if opt => {
                let _ = writeln!(
                    out,
                    "        if let Some(x) = &self.{id} {{ x.for_each_error_code(f); }}"
                );
            }
            Ty::Struct(_) => {
                let _ = writeln!(out, "        self.{id}.for_each_error_code(f);");
            }
            Ty::Array(inner) if matches!(**inner, Ty::Struct(_)) => {
                let items = if opt {
                    format!("self.{id}.iter().flatten()")
                } else {
                    format!("&self.{id}")
                };
                let _ = writeln!(
                    out,
                    "        for x in {items} {{ x.for_each_error_code(f); }}"
                );
            }
            _ => {}
        }
    }
    out.push_str("    }\n}\n\n");
}

pub fn gen_message(m: &Msg) -> Generated {
    let mut ctx = Ctx {
        msg: m,
        defs: Vec::new(),
        seen: HashMap::new(),
        notes: Vec::new(),
    };
    let top_doc = match m.api_key {
        Some(k) => format!(
            "Kafka `{}` (api key {k}), versions {}-{}, flexible {}.",
            m.name,
            m.lo,
            m.hi,
            m.flexible.describe()
        ),
        None => format!(
            "Kafka data struct `{}`, versions {}-{}, flexible {}.",
            m.name,
            m.lo,
            m.hi,
            m.flexible.describe()
        ),
    };
    let fields = m.fields.clone();
    ctx.define(&m.name, &fields, top_doc);
    let mut out = String::new();
    let module = snake(&m.name);
    doc(
        &mut out,
        "",
        &format!("The `{}` message and its nested structs.", m.name),
    );
    let _ = writeln!(out, "pub mod {module} {{");
    out.push_str("#![allow(clippy::all, unused_imports, unused_variables)]\nuse crate::primitives as p;\nuse crate::primitives::{DecodeError, EncodeError};\nuse super::Message;\n\n");
    for (i, s) in ctx.defs.iter().enumerate() {
        emit_struct(&mut out, m, s, i == 0);
        emit_error_visitor(&mut out, s);
    }
    let flex_min = match m.flexible {
        Ver::Range(a, _) => format!("Some({a})"),
        Ver::None => "None".into(),
    };
    let _ = writeln!(
        out,
        "impl Message for {n} {{
    const API_KEY: i16 = {k};
    const NAME: &'static str = {n:?};
    const MIN_VERSION: i16 = {lo};
    const MAX_VERSION: i16 = {hi};
    const FLEXIBLE_MIN: Option<i16> = {flex_min};
    fn decode(d: &mut p::Decoder<'_>, version: i16) -> Result<Self, DecodeError> {{
        if !({lo}..={hi}).contains(&version) {{
            return Err(DecodeError::UnsupportedVersion {{ api_key: {k}, version }});
        }}
        Self::decode_versioned(d, version)
    }}
    fn encode(&self, out: &mut bytes::BytesMut, version: i16) -> Result<(), EncodeError> {{
        if !({lo}..={hi}).contains(&version) {{
            return Err(EncodeError::UnsupportedVersion {{ api_key: {k}, version }});
        }}
        self.encode_versioned(out, version)
    }}
    fn for_each_error_code(&self, f: &mut dyn FnMut(i16)) {{
        {n}::for_each_error_code(self, f)
    }}
}}
}}
pub use {module}::{n};
",
        n = m.name,
        k = m.api_key.unwrap_or(-1),
        lo = m.lo,
        hi = m.hi,
    );
    Generated {
        code: out,
        notes: ctx
            .notes
            .into_iter()
            .map(|n| format!("{}: {n}", m.name))
            .collect(),
    }
}
