//! Getting the dataset: stream an archive (HTTP, HTTPS or file://) with resume after a broken
//! connection, check its size and SHA-256, and extract only regular files inside the target
//! folder (entries with `..`, absolute paths, links or devices are refused).

use std::fs::{File, OpenOptions};
use std::io::{Read, Write};
use std::path::{Component, Path, PathBuf};
use std::time::Duration;

use sha2::{Digest, Sha256};

use crate::error::{Error, Result};

/// The pix2pix authors' copy of CMP Facades (≈ 30 MB; folders facades/train, val, test).
pub const FACADES_URL: &str = "http://efrosgans.eecs.berkeley.edu/pix2pix/datasets/facades.tar.gz";

/// What to download and check.
#[derive(Debug, Clone)]
pub struct DownloadSpec {
    pub url: String,
    /// Expected size in bytes, when known.
    pub size: Option<u64>,
    /// Expected SHA-256 (hex), when known.
    pub sha256: Option<String>,
    /// Attempts (each resuming where the last one broke off).
    pub attempts: usize,
}

impl DownloadSpec {
    pub fn new(url: impl Into<String>) -> Self {
        DownloadSpec {
            url: url.into(),
            size: None,
            sha256: None,
            attempts: 4,
        }
    }
}

/// Progress callback: (bytes so far, total if known).
pub type Progress<'a> = &'a mut dyn FnMut(u64, Option<u64>);

fn part_path(dest: &Path) -> PathBuf {
    let mut name = dest
        .file_name()
        .map(|n| n.to_os_string())
        .unwrap_or_default();
    name.push(".part");
    dest.with_file_name(name)
}

/// One attempt: appends to `part` from its current length. Ok(true) when the body was read to
/// its end.
fn attempt_http(
    url: &str,
    part: &Path,
    total: &mut Option<u64>,
    progress: Progress<'_>,
) -> Result<bool> {
    let have = std::fs::metadata(part).map(|m| m.len()).unwrap_or(0);
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .timeout_connect(Some(Duration::from_secs(20)))
        .timeout_recv_body(Some(Duration::from_secs(60)))
        .http_status_as_error(false)
        .build()
        .into();
    let mut request = agent.get(url);
    if have > 0 {
        request = request.header("Range", format!("bytes={have}-"));
    }
    let response = request
        .call()
        .map_err(|e| Error::msg(format!("{url}: cannot connect ({e}). Check the address and your network, then run the command again: it resumes.")))?;
    let status = response.status().as_u16();
    let header = |name: &str| {
        response
            .headers()
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(str::to_string)
    };
    let length: Option<u64> = header("content-length").and_then(|v| v.parse().ok());
    let append = match status {
        206 => {
            // Content-Range: bytes start-end/total
            let range = header("content-range").unwrap_or_default();
            let start: Option<u64> = range
                .strip_prefix("bytes ")
                .and_then(|r| r.split('-').next())
                .and_then(|s| s.parse().ok());
            if start != Some(have) {
                // A range we did not ask for: start over.
                let _ = std::fs::remove_file(part);
                return Ok(false);
            }
            if let Some(t) = range.rsplit('/').next().and_then(|t| t.parse().ok()) {
                *total = Some(t);
            }
            true
        }
        200 => {
            *total = length.or(*total);
            false
        }
        416 if have > 0 => {
            // Nothing left to send: what we have is complete (checked below).
            return Ok(true);
        }
        _ => {
            return Err(Error::msg(format!(
                "{url}: the server answered HTTP {status}. Check the address (--url)."
            )));
        }
    };
    let mut file = if append {
        OpenOptions::new().append(true).open(part)
    } else {
        File::create(part)
    }
    .map_err(|e| Error::io(part, e))?;
    let mut done = if append { have } else { 0 };
    let mut reader = response.into_body().into_reader();
    let mut buf = vec![0u8; 64 * 1024];
    loop {
        match reader.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => {
                file.write_all(&buf[..n]).map_err(|e| Error::io(part, e))?;
                done += n as u64;
                progress(done, *total);
            }
            Err(_) => {
                file.sync_all().map_err(|e| Error::io(part, e))?;
                return Ok(false); // broken connection: the caller resumes
            }
        }
    }
    file.sync_all().map_err(|e| Error::io(part, e))?;
    Ok(total.is_none_or(|t| done >= t))
}

fn copy_local(path: &Path, part: &Path, progress: Progress<'_>) -> Result<()> {
    let mut src = File::open(path).map_err(|e| Error::io(path, e))?;
    let total = src.metadata().map(|m| m.len()).ok();
    let mut dst = File::create(part).map_err(|e| Error::io(part, e))?;
    let mut buf = vec![0u8; 256 * 1024];
    let mut done = 0;
    loop {
        let n = src.read(&mut buf).map_err(|e| Error::io(path, e))?;
        if n == 0 {
            break;
        }
        dst.write_all(&buf[..n]).map_err(|e| Error::io(part, e))?;
        done += n as u64;
        progress(done, total);
    }
    dst.sync_all().map_err(|e| Error::io(part, e))
}

fn sha256_file(path: &Path) -> Result<String> {
    let mut file = File::open(path).map_err(|e| Error::io(path, e))?;
    let mut hasher = Sha256::new();
    let mut buf = vec![0u8; 256 * 1024];
    loop {
        let n = file.read(&mut buf).map_err(|e| Error::io(path, e))?;
        if n == 0 {
            break;
        }
        hasher.update(&buf[..n]);
    }
    Ok(hasher
        .finalize()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect())
}

/// Downloads `spec.url` to `dest` (via `dest.part`, resumable), checking size and SHA-256.
pub fn download(spec: &DownloadSpec, dest: &Path, progress: Progress<'_>) -> Result<()> {
    if let Some(parent) = dest.parent().filter(|p| !p.as_os_str().is_empty()) {
        std::fs::create_dir_all(parent).map_err(|e| Error::io(parent, e))?;
    }
    let part = part_path(dest);
    if let Some(local) = spec.url.strip_prefix("file://") {
        copy_local(Path::new(local), &part, progress)?;
    } else if spec.url.starts_with("http://") || spec.url.starts_with("https://") {
        let mut total = spec.size;
        let mut complete = false;
        for _ in 0..spec.attempts.max(1) {
            if attempt_http(&spec.url, &part, &mut total, progress)? {
                complete = true;
                break;
            }
            std::thread::sleep(Duration::from_millis(200));
        }
        if !complete {
            return Err(Error::msg(format!(
                "{}: the connection broke {} times; the partial download is kept in {} and the next run resumes it",
                spec.url,
                spec.attempts,
                part.display()
            )));
        }
    } else {
        return Err(Error::msg(format!(
            "{}: only http://, https:// and file:// addresses are supported; download the archive yourself and pass file:///path/to/it",
            spec.url
        )));
    }
    let got = std::fs::metadata(&part)
        .map_err(|e| Error::io(&part, e))?
        .len();
    if let Some(size) = spec.size
        && got != size
    {
        let _ = std::fs::remove_file(&part);
        return Err(Error::bad_file(
            &part,
            format!("has {got} bytes, expected {size}; it was removed: run the command again"),
        ));
    }
    if let Some(expected) = &spec.sha256 {
        let actual = sha256_file(&part)?;
        if !actual.eq_ignore_ascii_case(expected.trim()) {
            let _ = std::fs::remove_file(&part);
            return Err(Error::bad_file(
                &part,
                format!(
                    "SHA-256 is {actual}, expected {expected}; the download is corrupt and was removed: run the command again"
                ),
            ));
        }
    }
    std::fs::rename(&part, dest).map_err(|e| Error::io(dest, e))
}

/// A safe relative path for an archive entry, or why it is refused.
fn safe_entry_path(path: &Path) -> std::result::Result<PathBuf, String> {
    let mut out = PathBuf::new();
    for c in path.components() {
        match c {
            Component::Normal(part) => out.push(part),
            Component::CurDir => {}
            Component::ParentDir => return Err("it climbs out of the folder (`..`)".into()),
            Component::RootDir | Component::Prefix(_) => {
                return Err("it is an absolute path".into());
            }
        }
    }
    if out.as_os_str().is_empty() {
        return Err("it has an empty name".into());
    }
    Ok(out)
}

/// Extracts a .tar.gz (or .tar) into `dest`: regular files and folders only, each inside
/// `dest`. Anything else refuses the whole archive before a file lands in `dest` (extraction
/// goes to a temporary folder first). Returns the number of files.
pub fn extract(archive: &Path, dest: &Path) -> Result<usize> {
    std::fs::create_dir_all(dest).map_err(|e| Error::io(dest, e))?;
    let staging = dest.join(format!(".extracting-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&staging);
    let result = extract_into(archive, &staging);
    let count = match result {
        Ok(n) => n,
        Err(e) => {
            let _ = std::fs::remove_dir_all(&staging);
            return Err(e);
        }
    };
    // Move the extracted top-level entries into place. What the user already has is never
    // replaced: an existing file or non-empty folder of the same name refuses the whole move
    // (checked before anything moves); an empty folder is taken over.
    let entries: Vec<_> = std::fs::read_dir(&staging)
        .map_err(|e| Error::io(&staging, e))?
        .collect::<std::io::Result<_>>()
        .map_err(|e| Error::io(&staging, e))?;
    let occupied = entries
        .iter()
        .map(|e| dest.join(e.file_name()))
        .find(|target| {
            target.exists()
                && !(target.is_dir()
                    && std::fs::read_dir(target).is_ok_and(|mut d| d.next().is_none()))
        });
    if let Some(target) = occupied {
        let _ = std::fs::remove_dir_all(&staging);
        return Err(Error::bad_file(
            &target,
            "already exists and is kept as it is; nothing was extracted. Move it away, or download into another folder with --out",
        ));
    }
    for entry in entries {
        let target = dest.join(entry.file_name());
        if target.is_dir() {
            let _ = std::fs::remove_dir(&target); // empty (checked above)
        }
        std::fs::rename(entry.path(), &target).map_err(|e| Error::io(&target, e))?;
    }
    let _ = std::fs::remove_dir_all(&staging);
    Ok(count)
}

fn extract_into(archive: &Path, staging: &Path) -> Result<usize> {
    let file = File::open(archive).map_err(|e| Error::io(archive, e))?;
    let gz = archive.extension().is_some_and(|e| e == "gz" || e == "tgz");
    let reader: Box<dyn Read> = if gz {
        Box::new(flate2::read::GzDecoder::new(file))
    } else {
        Box::new(file)
    };
    let mut tar = tar::Archive::new(reader);
    let bad = |m: String| Error::bad_file(archive, m);
    let mut files = 0;
    for entry in tar
        .entries()
        .map_err(|e| bad(format!("is not a readable tar archive ({e})")))?
    {
        let mut entry = entry.map_err(|e| bad(format!("is damaged ({e}); download it again")))?;
        let raw = entry
            .path()
            .map_err(|e| bad(format!("has an entry with an unreadable name ({e})")))?
            .into_owned();
        let rel = safe_entry_path(&raw)
            .map_err(|why| bad(format!("refused: entry {} is unsafe: {why}", raw.display())))?;
        let kind = entry.header().entry_type();
        let target = staging.join(&rel);
        if kind.is_dir() {
            std::fs::create_dir_all(&target).map_err(|e| Error::io(&target, e))?;
        } else if kind.is_file() {
            if let Some(parent) = target.parent() {
                std::fs::create_dir_all(parent).map_err(|e| Error::io(parent, e))?;
            }
            let mut out = File::create(&target).map_err(|e| Error::io(&target, e))?;
            std::io::copy(&mut entry, &mut out).map_err(|e| {
                bad(format!(
                    "entry {} is truncated ({e}); download it again",
                    raw.display()
                ))
            })?;
            files += 1;
        } else if matches!(
            kind,
            tar::EntryType::XGlobalHeader | tar::EntryType::XHeader
        ) {
            // pax metadata: nothing to extract
        } else {
            return Err(bad(format!(
                "refused: entry {} is a {:?}, not a regular file (links and devices are not extracted)",
                raw.display(),
                kind
            )));
        }
    }
    Ok(files)
}
