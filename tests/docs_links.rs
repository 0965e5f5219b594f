//! The Markdown docs hold together (issue #29): every relative link and image in README.md, the
//! other top-level pages, docs/*.md and the model cards in assets/*.md points at a file that
//! exists, and the README links every page under docs/, so none is orphaned.
//!
//! Links are `[text](target)`, `![alt](target)`, reference definitions `[name]: target` and HTML
//! `src="…"` / `href="…"`; fenced code blocks and inline code spans are skipped. Targets starting
//! with http://, https:// or mailto: and pure `#anchor` links are not checked; a `#anchor` (or
//! `?query`) suffix is dropped and the rest resolved against the linking file's folder (a leading
//! `/` against the repository root). Anchors themselves are not checked.

use std::collections::HashSet;
use std::fs;
use std::path::{Component, Path, PathBuf};

fn repo_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// The pages checked: the top-level *.md files, docs/*.md and assets/*.md, sorted.
fn markdown_files(root: &Path) -> Vec<PathBuf> {
    let mut files = Vec::new();
    for dir in [root.to_path_buf(), root.join("docs"), root.join("assets")] {
        files.extend(md_files_in(&dir));
    }
    files.sort();
    files
}

fn md_files_in(dir: &Path) -> Vec<PathBuf> {
    let Ok(entries) = fs::read_dir(dir) else {
        return Vec::new();
    };
    let mut files: Vec<PathBuf> = entries
        .flatten()
        .map(|entry| entry.path())
        .filter(|path| path.is_file() && path.extension().and_then(|e| e.to_str()) == Some("md"))
        .collect();
    files.sort();
    files
}

/// One link target and the 1-based line it is on.
#[derive(Debug)]
struct Link {
    line: usize,
    target: String,
}

/// The line with every inline code span (a run of n backticks up to the next run of exactly n)
/// replaced by a space; an unmatched run of backticks is kept as text.
fn strip_code_spans(line: &str) -> String {
    let chars: Vec<char> = line.chars().collect();
    let run_at = |at: usize| chars[at..].iter().take_while(|&&c| c == '`').count();
    let mut out = String::new();
    let mut i = 0;
    while i < chars.len() {
        if chars[i] != '`' {
            out.push(chars[i]);
            i += 1;
            continue;
        }
        let n = run_at(i);
        let mut j = i + n;
        let mut close = None;
        while j < chars.len() {
            if chars[j] == '`' {
                let m = run_at(j);
                if m == n {
                    close = Some(j + m);
                    break;
                }
                j += m;
            } else {
                j += 1;
            }
        }
        match close {
            Some(after) => {
                out.push(' ');
                i = after;
            }
            None => {
                out.extend(std::iter::repeat_n('`', n));
                i += n;
            }
        }
    }
    out
}

/// A raw target as written: `<path>` loses its brackets, `path "title"` its title.
fn clean_target(raw: &str) -> String {
    let raw = raw.trim();
    if let Some(inner) = raw.strip_prefix('<').and_then(|r| r.strip_suffix('>')) {
        return inner.trim().to_string();
    }
    raw.split_whitespace().next().unwrap_or("").to_string()
}

/// Every link and image target in a Markdown text, outside code.
fn links(text: &str) -> Vec<Link> {
    let mut out = Vec::new();
    let mut in_fence = false;
    for (index, raw) in text.lines().enumerate() {
        let line_no = index + 1;
        let trimmed = raw.trim_start();
        if trimmed.starts_with("```") || trimmed.starts_with("~~~") {
            in_fence = !in_fence;
            continue;
        }
        if in_fence {
            continue;
        }
        let line = strip_code_spans(raw);

        // Inline links and images: `](target)`, the target running to its matching `)`.
        let mut rest = line.as_str();
        while let Some(pos) = rest.find("](") {
            let after = &rest[pos + 2..];
            let mut depth = 0usize;
            let mut end = None;
            for (j, c) in after.char_indices() {
                match c {
                    '(' => depth += 1,
                    ')' if depth == 0 => {
                        end = Some(j);
                        break;
                    }
                    ')' => depth -= 1,
                    _ => {}
                }
            }
            let Some(end) = end else {
                // No closing parenthesis on this line: report what there is, so that it is
                // looked at rather than silently skipped.
                out.push(Link {
                    line: line_no,
                    target: clean_target(after),
                });
                break;
            };
            out.push(Link {
                line: line_no,
                target: clean_target(&after[..end]),
            });
            rest = &after[end + 1..];
        }

        // Reference definitions: `[name]: target`.
        if let Some(def) = line.trim_start().strip_prefix('[')
            && let Some(close) = def.find("]:")
            && !def[..close].is_empty()
            && !def[..close].contains(['[', ']'])
        {
            out.push(Link {
                line: line_no,
                target: clean_target(&def[close + 2..]),
            });
        }

        // HTML: `<img src="…">`, `<a href="…">`.
        for attr in ["src=\"", "href=\""] {
            let mut rest = line.as_str();
            while let Some(pos) = rest.find(attr) {
                let after = &rest[pos + attr.len()..];
                let end = after.find('"').unwrap_or(after.len());
                out.push(Link {
                    line: line_no,
                    target: after[..end].trim().to_string(),
                });
                rest = &after[end..];
            }
        }
    }
    out
}

fn is_external(target: &str) -> bool {
    let lower = target.to_ascii_lowercase();
    lower.starts_with("http://") || lower.starts_with("https://") || lower.starts_with("mailto:")
}

/// The file a local target names, or None for external links and pure anchors.
fn local_path(file: &Path, target: &str, root: &Path) -> Option<PathBuf> {
    if is_external(target) || target.starts_with('#') {
        return None;
    }
    let path = target
        .split(['#', '?'])
        .next()
        .unwrap_or("")
        .replace("%20", " ");
    Some(match path.strip_prefix('/') {
        Some(from_root) => root.join(from_root),
        None => file.parent().unwrap_or(root).join(path),
    })
}

/// `a/./b/../c` → `a/c`, without touching the file system.
fn normalize(path: &Path) -> PathBuf {
    let mut out = PathBuf::new();
    for component in path.components() {
        match component {
            Component::CurDir => {}
            Component::ParentDir => {
                out.pop();
            }
            other => out.push(other.as_os_str()),
        }
    }
    out
}

fn shown(path: &Path, root: &Path) -> String {
    path.strip_prefix(root)
        .unwrap_or(path)
        .display()
        .to_string()
}

/// `file:line: target` for every local target in `text` that names nothing on disk.
fn broken_links(file: &Path, text: &str, root: &Path) -> Vec<String> {
    let mut failures = Vec::new();
    for link in links(text) {
        let at = format!("{}:{}", shown(file, root), link.line);
        if link.target.is_empty() {
            failures.push(format!("{at}: an empty link target"));
            continue;
        }
        let Some(path) = local_path(file, &link.target, root) else {
            continue;
        };
        if !path.exists() {
            failures.push(format!(
                "{at}: {} (no such file: {})",
                link.target,
                shown(&normalize(&path), root)
            ));
        }
    }
    failures
}

#[test]
fn every_relative_link_and_image_in_the_docs_exists() {
    let root = repo_root();
    let files = markdown_files(&root);
    assert!(
        files.contains(&root.join("README.md")),
        "README.md not found among {files:?}"
    );
    let mut failures = Vec::new();
    for file in &files {
        let text = fs::read_to_string(file)
            .unwrap_or_else(|e| panic!("cannot read {}: {e}", shown(file, &root)));
        failures.extend(broken_links(file, &text, &root));
    }
    assert!(
        failures.is_empty(),
        "{} broken link(s) in {} Markdown file(s) (file:line: target):\n{}",
        failures.len(),
        files.len(),
        failures.join("\n")
    );
}

#[test]
fn the_readme_links_every_docs_page() {
    let root = repo_root();
    let readme = root.join("README.md");
    let text = fs::read_to_string(&readme).expect("README.md");
    let linked: HashSet<PathBuf> = links(&text)
        .iter()
        .filter_map(|link| local_path(&readme, &link.target, &root))
        .map(|path| normalize(&path))
        .collect();
    let pages = md_files_in(&root.join("docs"));
    assert!(!pages.is_empty(), "docs/ holds no pages");
    let orphans: Vec<String> = pages
        .iter()
        .filter(|page| !linked.contains(&normalize(page)))
        .map(|page| shown(page, &root))
        .collect();
    assert!(
        orphans.is_empty(),
        "README.md does not link these docs pages (add each to its \"Read more\" list):\n{}",
        orphans.join("\n")
    );
}

/// The checker itself: a planted broken link, image and HTML image are each reported with their
/// line, while good links, web links, anchors and anything in code are not.
#[test]
fn the_checker_reports_planted_broken_links() {
    let root = repo_root();
    let text = "# Planted\n\
        \n\
        See [the README](README.md#read-more), [a page](docs/no-such-page.md), [web](https://example.com/x) and [here](#planted).\n\
        \n\
        ![a picture](assets/no-such-picture.png \"title\")\n\
        <img src=\"assets/screenshot.png\" alt=\"the app\">\n\
        <img src=\"assets/no-such-shot.png\">\n\
        \n\
        ```sh\n\
        [in a code block](nowhere.md)\n\
        ```\n\
        \n\
        `[in a code span](nowhere.md)` and [parent](../no-such-folder/x.md)\n";
    let failures = broken_links(&root.join("planted.md"), text, &root);
    assert_eq!(failures.len(), 4, "{failures:#?}");
    assert!(
        failures[0].starts_with("planted.md:3: docs/no-such-page.md"),
        "{failures:#?}"
    );
    assert!(
        failures[1].starts_with("planted.md:5: assets/no-such-picture.png"),
        "{failures:#?}"
    );
    assert!(
        failures[2].starts_with("planted.md:7: assets/no-such-shot.png"),
        "{failures:#?}"
    );
    assert!(
        failures[3].starts_with("planted.md:13: ../no-such-folder/x.md"),
        "{failures:#?}"
    );
}
