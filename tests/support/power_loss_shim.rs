//! An `LD_PRELOAD` shim that records what a process has made durable, so a test can build the
//! data directory a power loss would leave behind (see `tests/power_loss.rs`).
//!
//! Invariants:
//! - The shim never writes to the watched tree; it only reads it and writes the shadow directory.
//! - Every sync call the process makes on the tree is replaced by a snapshot of exactly what
//!   that call makes durable on a POSIX filesystem, and returns success without syncing:
//!   * `fsync`/`fdatasync` on a file: its contents up to its size at the call;
//!   * `fsync`/`fdatasync` on a directory: its entries (name → inode);
//!   * `msync(MS_SYNC)`: the contents of the file mapped at that address;
//!   * `syncfs`/`sync`: every file and directory of the tree.
//! - Nothing else is durable: a created, renamed or removed entry is durable only once its
//!   directory is synced, written bytes only once their file is synced.
//!
//! The shadow directory (`KALFKA_POWERLOSS_SHADOW`) holds `root` (the key of the watched tree
//! `KALFKA_POWERLOSS_ROOT`), `dirs/<key>` (one line `d|f <key> <name>` per entry) and
//! `files/<key>` (the durable bytes), where a key is `<inode>-<birth time in ns>`. Each is replaced atomically (temporary file, rename),
//! so a SIGKILL never leaves a half-written snapshot. At load, a shadow without `root` is
//! initialised with the whole tree: whatever is on disk when the process starts is durable.
//!
//! Built by the test with plain `rustc` (std only): no Cargo target is needed for a cdylib.

use std::fs;
use std::io::Read;
use std::os::raw::{c_int, c_void};
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};
use std::sync::{Mutex, OnceLock};

const MS_SYNC: c_int = 4;

struct Config {
    root: PathBuf,
    shadow: PathBuf,
}

static CONFIG: OnceLock<Option<Config>> = OnceLock::new();
/// Serialises snapshots: two threads syncing at once write the shadow one after the other.
static LOCK: Mutex<()> = Mutex::new(());

fn config() -> Option<&'static Config> {
    CONFIG
        .get_or_init(|| {
            let root = std::env::var_os("KALFKA_POWERLOSS_ROOT")?;
            let shadow = std::env::var_os("KALFKA_POWERLOSS_SHADOW")?;
            let root = fs::canonicalize(root).ok()?;
            Some(Config {
                root,
                shadow: PathBuf::from(shadow),
            })
        })
        .as_ref()
}

/// A failed snapshot would make the test's verdict wrong: stop the process loudly instead.
fn fail(what: &str, err: impl std::fmt::Display) -> ! {
    eprintln!("power-loss shim: {what}: {err}");
    std::process::abort()
}

/// A file's identity: its inode number and birth time, so that an inode number reused by a
/// new file after a removal is not mistaken for the old file (birth time 0 where the
/// filesystem has none). `tests/common/power_loss.rs` computes the same key.
fn key(meta: &fs::Metadata) -> String {
    let born = meta
        .created()
        .ok()
        .and_then(|t| t.duration_since(std::time::UNIX_EPOCH).ok())
        .map_or(0, |d| d.as_nanos());
    format!("{}-{born}", meta.ino())
}

fn write_replace(path: &Path, contents: &[u8]) {
    let tmp = path.with_extension("tmp");
    if let Err(e) = fs::write(&tmp, contents).and_then(|()| fs::rename(&tmp, path)) {
        fail(&format!("writing {}", path.display()), e);
    }
}

fn snapshot_dir(cfg: &Config, dir: &Path, id: &str) {
    let mut listing = String::new();
    let entries = match fs::read_dir(dir) {
        Ok(e) => e,
        Err(e) => fail(&format!("listing {}", dir.display()), e),
    };
    for entry in entries.flatten() {
        let Ok(meta) = entry.metadata() else { continue };
        let kind = if meta.is_dir() { 'd' } else { 'f' };
        listing.push_str(&format!(
            "{kind} {} {}\n",
            key(&meta),
            entry.file_name().to_string_lossy()
        ));
    }
    write_replace(&cfg.shadow.join("dirs").join(id), listing.as_bytes());
}

fn snapshot_file(cfg: &Config, path: &Path, id: &str, len: u64) {
    let mut bytes = Vec::new();
    let read = fs::File::open(path).and_then(|f| f.take(len).read_to_end(&mut bytes));
    if let Err(e) = read {
        fail(&format!("reading {}", path.display()), e);
    }
    write_replace(&cfg.shadow.join("files").join(id), &bytes);
}

fn snapshot_tree(cfg: &Config, dir: &Path) {
    let Ok(meta) = fs::metadata(dir) else { return };
    snapshot_dir(cfg, dir, &key(&meta));
    for entry in fs::read_dir(dir).into_iter().flatten().flatten() {
        let path = entry.path();
        let Ok(meta) = fs::symlink_metadata(&path) else { continue };
        if meta.is_dir() {
            snapshot_tree(cfg, &path);
        } else if meta.is_file() {
            snapshot_file(cfg, &path, &key(&meta), meta.len());
        }
    }
}

fn init_shadow(cfg: &Config) {
    if cfg.shadow.join("root").exists() {
        return;
    }
    for sub in ["dirs", "files"] {
        if let Err(e) = fs::create_dir_all(cfg.shadow.join(sub)) {
            fail("creating the shadow directory", e);
        }
    }
    snapshot_tree(cfg, &cfg.root);
    let root = match fs::metadata(&cfg.root) {
        Ok(m) => key(&m),
        Err(e) => fail("stat of the root", e),
    };
    write_replace(&cfg.shadow.join("root"), root.as_bytes());
}

fn with_config(f: impl FnOnce(&Config)) {
    if let Some(cfg) = config() {
        let _guard = LOCK.lock().unwrap_or_else(|e| e.into_inner());
        init_shadow(cfg);
        f(cfg);
    }
}

/// The snapshot of what syncing `path` (a file or directory inside the tree) makes durable.
fn snapshot_path(cfg: &Config, path: &Path) {
    if !path.starts_with(&cfg.root) {
        return;
    }
    let Ok(meta) = fs::metadata(path) else { return };
    if meta.is_dir() {
        snapshot_dir(cfg, path, &key(&meta));
    } else if meta.is_file() {
        snapshot_file(cfg, path, &key(&meta), meta.len());
    }
}

fn sync_fd(fd: c_int) {
    with_config(|cfg| {
        // The descriptor's own inode, even if its name changed since it was opened.
        let link = PathBuf::from(format!("/proc/self/fd/{fd}"));
        let Ok(target) = fs::read_link(&link) else { return };
        if !target.starts_with(&cfg.root) {
            return;
        }
        let Ok(meta) = fs::metadata(&link) else { return };
        if meta.is_dir() {
            snapshot_dir(cfg, &link, &key(&meta));
        } else if meta.is_file() {
            snapshot_file(cfg, &link, &key(&meta), meta.len());
        }
    });
}

/// The file mapped at `addr`, from `/proc/self/maps`.
fn mapped_file(addr: usize) -> Option<PathBuf> {
    let maps = fs::read_to_string("/proc/self/maps").ok()?;
    maps.lines().find_map(|line| {
        let mut fields = line.split_whitespace();
        let (start, end) = fields.next()?.split_once('-')?;
        let start = usize::from_str_radix(start, 16).ok()?;
        let end = usize::from_str_radix(end, 16).ok()?;
        if !(start <= addr && addr < end) {
            return None;
        }
        let path = fields.nth(4)?;
        path.starts_with('/').then(|| PathBuf::from(path))
    })
}

/// Interposes fsync(2).
#[no_mangle]
pub extern "C" fn fsync(fd: c_int) -> c_int {
    sync_fd(fd);
    0
}

/// Interposes fdatasync(2).
#[no_mangle]
pub extern "C" fn fdatasync(fd: c_int) -> c_int {
    sync_fd(fd);
    0
}

/// Interposes syncfs(2): the whole tree becomes durable.
#[no_mangle]
pub extern "C" fn syncfs(_fd: c_int) -> c_int {
    with_config(|cfg| snapshot_tree(cfg, &cfg.root));
    0
}

/// Interposes sync(2).
#[no_mangle]
pub extern "C" fn sync() {
    with_config(|cfg| snapshot_tree(cfg, &cfg.root));
}

/// Interposes msync(2): MS_SYNC makes the mapped file durable; MS_ASYNC promises nothing.
#[no_mangle]
pub extern "C" fn msync(addr: *mut c_void, _len: usize, flags: c_int) -> c_int {
    if flags & MS_SYNC != 0 {
        with_config(|cfg| {
            if let Some(path) = mapped_file(addr as usize) {
                snapshot_path(cfg, &path);
            }
        });
    }
    0
}

/// Runs at load: the tree as it is before the process touches it is durable.
extern "C" fn on_load() {
    with_config(|_| {});
}

#[used]
#[link_section = ".init_array"]
static ON_LOAD: extern "C" fn() = on_load;
