//! `dataset download` against a local HTTP server on 127.0.0.1 that this test starts: a good
//! archive, a connection that breaks mid-way (resumed with a Range request), a wrong checksum,
//! and hostile archives (`..`, absolute paths, links) that must extract nothing.

mod common;

use std::collections::HashMap;
use std::io::{BufRead, BufReader, Write};
use std::net::TcpListener;
use std::path::Path;
use std::sync::{Arc, Mutex};

use facade_studio::data::download::{DownloadSpec, download, extract};
use sha2::{Digest, Sha256};

/// A request's path and its Range header.
type Seen = (String, Option<String>);

struct Server {
    base: String,
    /// Range headers seen, per path.
    ranges: Arc<Mutex<Vec<Seen>>>,
}

/// Serves `files` on 127.0.0.1; paths starting with "/flaky" drop the connection half-way the
/// first time. Stops when the test process ends (bounded: it only answers requests).
fn serve(files: HashMap<String, Vec<u8>>) -> Server {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let ranges = Arc::new(Mutex::new(Vec::new()));
    let seen = ranges.clone();
    std::thread::spawn(move || {
        let mut broke_once = false;
        for stream in listener.incoming().take(64) {
            let Ok(mut stream) = stream else { continue };
            let mut reader = BufReader::new(stream.try_clone().unwrap());
            let mut first = String::new();
            if reader.read_line(&mut first).is_err() {
                continue;
            }
            let path = first.split_whitespace().nth(1).unwrap_or("/").to_string();
            let mut range = None;
            loop {
                let mut line = String::new();
                if reader.read_line(&mut line).unwrap_or(0) == 0 || line == "\r\n" {
                    break;
                }
                if let Some(v) = line.to_ascii_lowercase().strip_prefix("range: bytes=") {
                    range = v.trim().trim_end_matches('-').parse::<usize>().ok();
                }
            }
            seen.lock()
                .unwrap()
                .push((path.clone(), range.map(|r| r.to_string())));
            let Some(body) = files.get(&path) else {
                let _ = stream.write_all(
                    b"HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\nConnection: close\r\n\r\n",
                );
                continue;
            };
            let start = range.unwrap_or(0).min(body.len());
            let head = if range.is_some() {
                format!(
                    "HTTP/1.1 206 Partial Content\r\nContent-Length: {}\r\nContent-Range: bytes {}-{}/{}\r\nConnection: close\r\n\r\n",
                    body.len() - start,
                    start,
                    body.len() - 1,
                    body.len()
                )
            } else {
                format!(
                    "HTTP/1.1 200 OK\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
                    body.len()
                )
            };
            let _ = stream.write_all(head.as_bytes());
            let rest = &body[start..];
            if path.starts_with("/flaky") && !broke_once {
                broke_once = true;
                let _ = stream.write_all(&rest[..rest.len() / 2]);
                let _ = stream.flush();
                drop(stream); // the connection breaks
                continue;
            }
            let _ = stream.write_all(rest);
        }
    });
    Server { base, ranges }
}

fn targz(entries: &[(&str, &[u8])]) -> Vec<u8> {
    let mut builder = tar::Builder::new(flate2::write::GzEncoder::new(
        Vec::new(),
        flate2::Compression::fast(),
    ));
    for (name, data) in entries {
        let mut h = tar::Header::new_gnu();
        h.set_path(name).unwrap();
        h.set_size(data.len() as u64);
        h.set_mode(0o644);
        h.set_cksum();
        builder.append(&h, *data).unwrap();
    }
    builder.into_inner().unwrap().finish().unwrap()
}

/// An archive with one entry whose raw name is written as given (tar refuses to build these).
fn hostile(name: &str, kind: tar::EntryType, link: Option<&str>) -> Vec<u8> {
    let mut builder = tar::Builder::new(flate2::write::GzEncoder::new(
        Vec::new(),
        flate2::Compression::fast(),
    ));
    let mut ok = tar::Header::new_gnu();
    ok.set_path("facades/ok.txt").unwrap();
    ok.set_size(2);
    ok.set_cksum();
    builder.append(&ok, &b"ok"[..]).unwrap();
    let mut h = tar::Header::new_gnu();
    let raw = &mut h.as_gnu_mut().unwrap().name;
    raw[..name.len()].copy_from_slice(name.as_bytes());
    h.set_entry_type(kind);
    if let Some(l) = link {
        h.set_link_name(l).unwrap();
    }
    let data: &[u8] = if kind.is_file() { b"evil" } else { b"" };
    h.set_size(data.len() as u64);
    h.set_mode(0o644);
    h.set_cksum();
    builder.append(&h, data).unwrap();
    builder.into_inner().unwrap().finish().unwrap()
}

fn sha(bytes: &[u8]) -> String {
    Sha256::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

fn dataset_archive() -> Vec<u8> {
    let tmp = tempfile::tempdir().unwrap();
    common::make_dataset(tmp.path(), 3, 32);
    let files: Vec<(String, Vec<u8>)> = (1..=3)
        .map(|i| {
            (
                format!("facades/train/{i}.jpg"),
                std::fs::read(tmp.path().join(format!("{i}.jpg"))).unwrap(),
            )
        })
        .collect();
    let refs: Vec<(&str, &[u8])> = files
        .iter()
        .map(|(n, d)| (n.as_str(), d.as_slice()))
        .collect();
    targz(&refs)
}

fn files_under(dir: &Path) -> Vec<String> {
    let mut out = Vec::new();
    fn walk(d: &Path, base: &Path, out: &mut Vec<String>) {
        for e in std::fs::read_dir(d).into_iter().flatten().flatten() {
            let p = e.path();
            if p.is_dir() {
                walk(&p, base, out);
            } else {
                out.push(p.strip_prefix(base).unwrap().display().to_string());
            }
        }
    }
    walk(dir, dir, &mut out);
    out.sort();
    out
}

#[test]
fn downloads_checks_and_extracts_a_good_archive_then_trains_on_it() {
    let archive = dataset_archive();
    let server = serve(HashMap::from([(
        "/facades.tar.gz".to_string(),
        archive.clone(),
    )]));
    let out = tempfile::tempdir().unwrap();
    let url = format!("{}/facades.tar.gz", server.base);
    let status = std::process::Command::new(env!("CARGO_BIN_EXE_facade-studio"))
        .args([
            "dataset",
            "download",
            "--url",
            &url,
            "--out",
            out.path().to_str().unwrap(),
        ])
        .args([
            "--sha256",
            &sha(&archive),
            "--size",
            &archive.len().to_string(),
        ])
        .output()
        .unwrap();
    assert!(
        status.status.success(),
        "{}",
        String::from_utf8_lossy(&status.stderr)
    );
    assert_eq!(
        files_under(out.path()),
        [
            "facades/train/1.jpg",
            "facades/train/2.jpg",
            "facades/train/3.jpg"
        ]
    );
    // The extracted folder is a dataset the trainer accepts.
    let run = out.path().join("run");
    let train = std::process::Command::new(env!("CARGO_BIN_EXE_facade-studio"))
        .args([
            "train",
            "--data",
            out.path().join("facades/train").to_str().unwrap(),
        ])
        .args([
            "--out",
            run.to_str().unwrap(),
            "--ngf",
            "4",
            "--size",
            "32",
            "--max-steps",
            "2",
            "--backend",
            "cpu",
        ])
        .output()
        .unwrap();
    assert!(
        train.status.success(),
        "{}",
        String::from_utf8_lossy(&train.stderr)
    );
}

#[test]
fn a_broken_connection_is_resumed_with_a_range_request() {
    let archive = dataset_archive();
    let server = serve(HashMap::from([(
        "/flaky.tar.gz".to_string(),
        archive.clone(),
    )]));
    let out = tempfile::tempdir().unwrap();
    let dest = out.path().join("flaky.tar.gz");
    let spec = DownloadSpec {
        sha256: Some(sha(&archive)),
        ..DownloadSpec::new(format!("{}/flaky.tar.gz", server.base))
    };
    let mut last = 0;
    download(&spec, &dest, &mut |done, _| last = done).unwrap();
    assert_eq!(std::fs::read(&dest).unwrap(), archive);
    assert_eq!(last, archive.len() as u64);
    let ranges = server.ranges.lock().unwrap().clone();
    assert_eq!(ranges.len(), 2, "{ranges:?}");
    assert_eq!(ranges[0].1, None);
    assert_eq!(
        ranges[1].1,
        Some((archive.len() / 2).to_string()),
        "the second request resumes where the first broke"
    );
}

#[test]
fn a_wrong_checksum_or_size_or_status_is_an_error_and_leaves_nothing() {
    let archive = dataset_archive();
    let server = serve(HashMap::from([("/a.tar.gz".to_string(), archive.clone())]));
    let out = tempfile::tempdir().unwrap();
    let dest = out.path().join("a.tar.gz");
    let url = format!("{}/a.tar.gz", server.base);
    let spec = DownloadSpec {
        sha256: Some("00".repeat(32)),
        ..DownloadSpec::new(url.clone())
    };
    let err = download(&spec, &dest, &mut |_, _| {})
        .unwrap_err()
        .to_string();
    assert!(err.contains("SHA-256"), "{err}");
    assert!(
        files_under(out.path()).is_empty(),
        "the corrupt download is removed"
    );
    let spec = DownloadSpec {
        size: Some(12),
        ..DownloadSpec::new(url)
    };
    let err = download(&spec, &dest, &mut |_, _| {})
        .unwrap_err()
        .to_string();
    assert!(err.contains("expected 12"), "{err}");
    let err = download(
        &DownloadSpec::new(format!("{}/missing.tar.gz", server.base)),
        &dest,
        &mut |_, _| {},
    )
    .unwrap_err()
    .to_string();
    assert!(err.contains("404"), "{err}");
    let err = download(
        &DownloadSpec::new("ftp://example.invalid/x.tar.gz"),
        &dest,
        &mut |_, _| {},
    )
    .unwrap_err()
    .to_string();
    assert!(err.contains("only http://, https:// and file://"), "{err}");
}

#[test]
fn hostile_archives_extract_nothing() {
    let cases = [
        (
            "dotdot",
            hostile("facades/../../evil.txt", tar::EntryType::Regular, None),
            "`..`",
        ),
        (
            "absolute",
            hostile("/tmp/facade-evil-abs.txt", tar::EntryType::Regular, None),
            "absolute",
        ),
        (
            "symlink",
            hostile("facades/link", tar::EntryType::Symlink, Some("/etc/passwd")),
            "Symlink",
        ),
        (
            "hardlink",
            hostile("facades/hard", tar::EntryType::Link, Some("/etc/passwd")),
            "Link",
        ),
    ];
    let mut files = HashMap::new();
    for (name, bytes, _) in &cases {
        files.insert(format!("/{name}.tar.gz"), bytes.clone());
    }
    let server = serve(files);
    for (name, _, why) in &cases {
        let root = tempfile::tempdir().unwrap();
        let out = root.path().join("out");
        let dest = root.path().join(format!("{name}.tar.gz"));
        download(
            &DownloadSpec::new(format!("{}/{name}.tar.gz", server.base)),
            &dest,
            &mut |_, _| {},
        )
        .unwrap();
        let err = extract(&dest, &out).unwrap_err().to_string();
        assert!(
            err.contains("refused") && err.contains(why),
            "{name}: {err}"
        );
        assert!(
            files_under(&out).is_empty(),
            "{name}: nothing may be extracted, found {:?}",
            files_under(&out)
        );
        assert!(!root.path().join("evil.txt").exists());
    }
    assert!(!Path::new("/tmp/facade-evil-abs.txt").exists());
}

#[test]
fn an_existing_folder_of_the_same_name_is_kept_and_nothing_is_extracted() {
    let tmp = tempfile::tempdir().unwrap();
    let archive = tmp.path().join("facades.tar.gz");
    std::fs::write(&archive, targz(&[("facades/train/1.jpg", b"new")])).unwrap();
    let out = tmp.path().join("datasets");
    let mine = out.join("facades/train");
    std::fs::create_dir_all(&mine).unwrap();
    std::fs::write(mine.join("mine.jpg"), b"the user's own").unwrap();

    let err = extract(&archive, &out).unwrap_err().to_string();
    assert!(err.contains("already exists and is kept"), "{err}");
    assert!(err.contains("facades"), "{err}");
    assert_eq!(
        std::fs::read(mine.join("mine.jpg")).unwrap(),
        b"the user's own"
    );
    assert!(!mine.join("1.jpg").exists(), "nothing is merged in");
    assert_eq!(
        files_under(&out),
        vec!["facades/train/mine.jpg".to_string()]
    );

    // An empty folder of that name is taken over.
    std::fs::remove_dir_all(out.join("facades")).unwrap();
    std::fs::create_dir_all(out.join("facades")).unwrap();
    assert_eq!(extract(&archive, &out).unwrap(), 1);
    assert_eq!(
        std::fs::read(out.join("facades/train/1.jpg")).unwrap(),
        b"new"
    );
}

#[test]
fn https_addresses_are_fetched_over_tls() {
    // A plain-HTTP server on the other end: the TLS handshake fails, which shows the https://
    // address went to the TLS client (not refused as an unsupported scheme). Nothing is kept.
    let server = serve(HashMap::from([("/a.tar.gz".to_string(), b"x".to_vec())]));
    let url = server.base.replace("http://", "https://") + "/a.tar.gz";
    let tmp = tempfile::tempdir().unwrap();
    let dest = tmp.path().join("a.tar.gz");
    let err = download(
        &DownloadSpec {
            attempts: 1,
            ..DownloadSpec::new(url.clone())
        },
        &dest,
        &mut |_, _| {},
    )
    .unwrap_err()
    .to_string();
    assert!(
        err.contains(&url) && err.contains("cannot connect"),
        "{err}"
    );
    assert!(!err.contains("only http://"), "{err}");
    assert!(!dest.exists());
}
