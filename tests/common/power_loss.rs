//! Power-loss simulation for the real broker binary: the `LD_PRELOAD` shim in
//! `tests/support/power_loss_shim.rs` records what the broker made durable (fsync, fdatasync,
//! directory fsync, msync, syncfs) in a shadow directory; [`crash_image`] then builds the data
//! directory a power loss at that moment could leave: every durable entry and byte, and of the
//! rest only what a seeded choice lets through (nothing, a prefix of the appended bytes, or
//! random whole pages — torn writes), never a rename, creation, removal or truncation whose
//! directory or file was not synced.

use std::collections::HashMap;
use std::ffi::OsString;
use std::fs;
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};
use std::process::Command;

use super::wire::Rng;

const PAGE: usize = 4096;

/// Compiles the shim (once per test binary run) with the `rustc` that builds the tests, and
/// returns the shared library's path.
pub fn build_shim() -> PathBuf {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/support/power_loss_shim.rs");
    let out_dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("power_loss_shim");
    fs::create_dir_all(&out_dir).expect("shim output dir");
    let lib = out_dir.join(format!("libpower_loss_shim-{}.so", std::process::id()));
    let rustc = std::env::var_os("RUSTC").unwrap_or_else(|| OsString::from("rustc"));
    let out = Command::new(rustc)
        .args(["--edition", "2021", "--crate-type", "cdylib", "-O", "-o"])
        .arg(&lib)
        .arg(&src)
        .output()
        .expect("run rustc for the power-loss shim");
    assert!(
        out.status.success(),
        "compiling the power-loss shim failed:\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    lib
}

/// The environment that makes a broker watched by the shim at `lib`: syncs under `root` are
/// recorded in `shadow` (which must not exist yet, or hold a previous record of this root).
pub fn shim_env(lib: &Path, root: &Path, shadow: &Path) -> Vec<(&'static str, OsString)> {
    vec![
        ("LD_PRELOAD", lib.as_os_str().to_owned()),
        ("KALFKA_POWERLOSS_ROOT", root.as_os_str().to_owned()),
        ("KALFKA_POWERLOSS_SHADOW", shadow.as_os_str().to_owned()),
    ]
}

/// What a crash image kept of the unsynced changes (for the failure message).
#[derive(Debug, Default)]
pub struct ImageStats {
    /// Files whose content differed from their durable content.
    pub files_with_unsynced_bytes: usize,
    /// Bytes of such files that the image took from the live (unsynced) content.
    pub unsynced_bytes_kept: usize,
}

/// Builds in `out` (an empty directory) the tree a power loss would leave of `live`, whose
/// syncs the shim recorded in `shadow`. `rng` picks what survives of the unsynced bytes.
pub fn crash_image(live: &Path, shadow: &Path, out: &Path, rng: &mut Rng) -> ImageStats {
    let root = fs::read_to_string(shadow.join("root"))
        .expect("the shim recorded the root (did the broker start with the shim?)");
    let mut live_files = HashMap::new();
    index_live(live, &mut live_files);
    let mut stats = ImageStats::default();
    build_dir(shadow, root.trim(), out, &live_files, rng, &mut stats);
    stats
}

/// A file's identity as the shim records it: inode number and birth time.
fn key(meta: &fs::Metadata) -> String {
    let born = meta
        .created()
        .ok()
        .and_then(|t| t.duration_since(std::time::UNIX_EPOCH).ok())
        .map_or(0, |d| d.as_nanos());
    format!("{}-{born}", meta.ino())
}

fn index_live(dir: &Path, files: &mut HashMap<String, PathBuf>) {
    for entry in fs::read_dir(dir).expect("list live dir").flatten() {
        let path = entry.path();
        let meta = fs::symlink_metadata(&path).expect("stat live entry");
        if meta.is_dir() {
            index_live(&path, files);
        } else if meta.is_file() {
            files.insert(key(&meta), path);
        }
    }
}

fn build_dir(
    shadow: &Path,
    id: &str,
    out: &Path,
    live_files: &HashMap<String, PathBuf>,
    rng: &mut Rng,
    stats: &mut ImageStats,
) {
    // A directory whose own entries were never synced is empty after the crash.
    let listing = fs::read_to_string(shadow.join("dirs").join(id)).unwrap_or_default();
    for line in listing.lines() {
        let mut parts = line.splitn(3, ' ');
        let (Some(kind), Some(child), Some(name)) = (parts.next(), parts.next(), parts.next())
        else {
            panic!("bad shadow listing line {line:?}");
        };
        let path = out.join(name);
        if kind == "d" {
            fs::create_dir(&path).expect("image dir");
            build_dir(shadow, child, &path, live_files, rng, stats);
        } else {
            let durable = fs::read(shadow.join("files").join(child)).unwrap_or_default();
            let live = live_files
                .get(child)
                .map(|p| fs::read(p).expect("read live file"));
            let bytes = survive(&durable, live.as_deref(), rng, stats);
            fs::write(&path, bytes).expect("image file");
        }
    }
}

/// What survives of a file whose durable content is `durable` and whose content in the page
/// cache is `live` (`None`: the file is gone from the live tree).
fn survive(durable: &[u8], live: Option<&[u8]>, rng: &mut Rng, stats: &mut ImageStats) -> Vec<u8> {
    let Some(live) = live else {
        return durable.to_vec();
    };
    if live == durable {
        return durable.to_vec();
    }
    stats.files_with_unsynced_bytes += 1;
    let out = match rng.below(3) {
        // Nothing unsynced reached the disk.
        0 => durable.to_vec(),
        // Appended bytes reached the disk up to some point (a torn last page included).
        1 if live.len() > durable.len() && live.starts_with(durable) => {
            let extra = rng.below((live.len() - durable.len()) as u64 + 1) as usize;
            live[..durable.len() + extra].to_vec()
        }
        // Whole pages in any order, and a size from either side: torn writes, zero-filled
        // holes where the size reached the disk before the data.
        _ => {
            let len = if rng.one_in(2) {
                live.len()
            } else {
                durable.len()
            };
            let mut out = vec![0u8; len];
            for (i, page) in out.chunks_mut(PAGE).enumerate() {
                // This page as written last (live) or as last synced; past the end of the
                // chosen version it reads as zeros (allocated, never written).
                let src = if rng.one_in(2) { live } else { durable };
                let start = i * PAGE;
                if src.len() > start {
                    let n = page.len().min(src.len() - start);
                    page[..n].copy_from_slice(&src[start..start + n]);
                }
            }
            out
        }
    };
    stats.unsynced_bytes_kept += out
        .iter()
        .enumerate()
        .filter(|(i, b)| durable.get(*i) != Some(b))
        .count();
    out
}
