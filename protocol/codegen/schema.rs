//! Schema model: parses Kafka's message JSON (with `//` comments) into [`Msg`]/[`Field`].

use serde_json::Value;

/// A version range from the schema: `none`, `N`, `N+` or `N-M`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Ver {
    None,
    Range(i16, Option<i16>),
}

impl Ver {
    pub fn parse(s: &str) -> Ver {
        let s = s.trim();
        if s == "none" {
            return Ver::None;
        }
        if let Some(a) = s.strip_suffix('+') {
            return Ver::Range(a.trim().parse().expect("version"), None);
        }
        if let Some((a, b)) = s.split_once('-') {
            return Ver::Range(
                a.trim().parse().expect("version"),
                Some(b.trim().parse().expect("version")),
            );
        }
        let v = s.parse().expect("version");
        Ver::Range(v, Some(v))
    }

    /// Rust boolean expression over `version`, simplified against the message range `lo..=hi`.
    pub fn cond(&self, lo: i16, hi: i16) -> String {
        match *self {
            Ver::None => "false".into(),
            Ver::Range(a, b) => {
                let a_triv = a <= lo;
                let b = b.filter(|&b| b < hi);
                if a > hi || b.is_some_and(|b| b < lo) {
                    return "false".into();
                }
                match (a_triv, b) {
                    (true, None) => "true".into(),
                    (false, None) => format!("version >= {a}"),
                    (true, Some(b)) => format!("version <= {b}"),
                    (false, Some(b)) if a == b => format!("version == {a}"),
                    (false, Some(b)) => format!("({a}..={b}).contains(&version)"),
                }
            }
        }
    }

    pub fn describe(&self) -> String {
        match *self {
            Ver::None => "none".into(),
            Ver::Range(a, None) => format!("{a}+"),
            Ver::Range(a, Some(b)) if a == b => format!("{a}"),
            Ver::Range(a, Some(b)) => format!("{a}-{b}"),
        }
    }
}

#[derive(Clone, Debug)]
pub struct Field {
    pub name: String,
    pub ty: String,
    pub versions: Ver,
    pub nullable: Ver,
    pub tag: Option<u32>,
    pub tagged: Ver,
    pub flexible: Option<Ver>,
    pub default: Option<String>,
    pub about: Option<String>,
    pub fields: Option<Vec<Field>>,
}

#[derive(Clone, Debug)]
pub struct Common {
    pub name: String,
    pub fields: Vec<Field>,
}

#[derive(Clone, Debug)]
pub struct Msg {
    pub name: String,
    pub api_key: Option<i16>,
    pub lo: i16,
    pub hi: i16,
    pub flexible: Ver,
    pub fields: Vec<Field>,
    pub common: Vec<Common>,
}

pub fn strip_comments(src: &str) -> String {
    src.lines()
        .map(|l| {
            if l.trim_start().starts_with("//") {
                ""
            } else {
                l
            }
        })
        .collect::<Vec<_>>()
        .join("\n")
}

fn s(v: &Value, k: &str) -> Option<String> {
    v.get(k).and_then(|x| x.as_str()).map(str::to_owned)
}

fn parse_fields(v: &Value) -> Vec<Field> {
    v.as_array()
        .map(|a| a.iter().map(parse_field).collect())
        .unwrap_or_default()
}

fn parse_field(v: &Value) -> Field {
    let versions = Ver::parse(&s(v, "versions").expect("field versions"));
    Field {
        name: s(v, "name").expect("field name"),
        ty: s(v, "type").expect("field type"),
        versions,
        nullable: s(v, "nullableVersions").map_or(Ver::None, |x| Ver::parse(&x)),
        tag: v.get("tag").and_then(|t| t.as_u64()).map(|t| t as u32),
        tagged: s(v, "taggedVersions").map_or(Ver::None, |x| Ver::parse(&x)),
        flexible: s(v, "flexibleVersions").map(|x| Ver::parse(&x)),
        default: match v.get("default") {
            Some(Value::String(d)) => Some(d.clone()),
            Some(Value::Bool(b)) => Some(b.to_string()),
            Some(Value::Number(n)) => Some(n.to_string()),
            _ => None,
        },
        about: s(v, "about"),
        fields: v.get("fields").map(parse_fields),
    }
}

pub fn parse_msg(src: &str) -> Msg {
    let v: Value = serde_json::from_str(&strip_comments(src)).expect("schema json");
    let valid = Ver::parse(&s(&v, "validVersions").expect("validVersions"));
    let Ver::Range(lo, Some(hi)) = valid else {
        panic!("bad validVersions")
    };
    Msg {
        name: s(&v, "name").expect("name"),
        api_key: v.get("apiKey").and_then(|k| k.as_i64()).map(|k| k as i16),
        lo,
        hi,
        flexible: Ver::parse(&s(&v, "flexibleVersions").unwrap_or_else(|| "none".into())),
        fields: parse_fields(&v["fields"]),
        common: v
            .get("commonStructs")
            .and_then(|c| c.as_array())
            .map(|a| {
                a.iter()
                    .map(|c| Common {
                        name: s(c, "name").expect("common name"),
                        fields: parse_fields(&c["fields"]),
                    })
                    .collect()
            })
            .unwrap_or_default(),
    }
}

pub fn snake(name: &str) -> String {
    let chars: Vec<char> = name.chars().collect();
    let mut out = String::new();
    for (i, &c) in chars.iter().enumerate() {
        if c.is_ascii_uppercase() {
            let prev = i.checked_sub(1).map(|j| chars[j]);
            let next = chars.get(i + 1);
            let boundary = match prev {
                None => false,
                Some(p) if p.is_ascii_lowercase() || p.is_ascii_digit() => true,
                Some(p) if p.is_ascii_uppercase() => next.is_some_and(|n| n.is_ascii_lowercase()),
                _ => false,
            };
            if boundary {
                out.push('_');
            }
            out.push(c.to_ascii_lowercase());
        } else {
            out.push(c);
        }
    }
    out
}

pub fn field_ident(name: &str) -> String {
    let s = snake(name);
    const KW: &[&str] = &[
        "as", "async", "await", "box", "break", "const", "continue", "dyn", "else", "enum",
        "extern", "false", "fn", "for", "if", "impl", "in", "let", "loop", "match", "mod", "move",
        "mut", "pub", "ref", "return", "static", "struct", "trait", "true", "type", "unsafe",
        "use", "where", "while", "yield", "abstract", "become", "do", "final", "macro", "override",
        "priv", "typeof", "unsized", "virtual", "try", "gen",
    ];
    if KW.contains(&s.as_str()) {
        format!("r#{s}")
    } else {
        s
    }
}
