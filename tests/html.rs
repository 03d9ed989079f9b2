//! `report.html` in a real browser: headless Chromium (Debian's
//! `chromium`, which `.ci/run` installs) opens it from disk with no console
//! error — the page's Content-Security-Policy forbids scripts and every
//! fetch, so a script or a network request would log one — its DOM holds a
//! hostile alert title as text, and a screenshot shows the charts.

use std::path::Path;
use std::process::Command;

use crate::util::*;

fn chromium() -> Option<&'static str> {
    ["/usr/bin/chromium", "/usr/bin/chromium-browser"]
        .into_iter()
        .find(|p| Path::new(p).exists())
}

/// A history whose noisiest rule has a title written to break a page.
fn hostile_history(dir: &Path) -> std::path::PathBuf {
    let path = dir.join("hostile.csv");
    let mut w = csv::Writer::from_path(&path).unwrap();
    w.write_record(PAGERDUTY_CSV_HEADER).unwrap();
    for i in 0..40 {
        // Every 5 hours 7 minutes; each resolves by itself after 2 minutes.
        let t = chrono::DateTime::from_timestamp(1_772_409_600 + i * 18_420, 0).unwrap();
        let r = t + chrono::Duration::seconds(120);
        let host = if i % 2 == 0 { "web-1" } else { "db-2" };
        w.write_record([
            format!("P{i}"),
            i.to_string(),
            format!("<script>alert(document.domain)</script> <img src=x onerror=alert(1)> disk full on {host}"),
            "storage & <friends>".into(),
            "ep".into(),
            t.to_rfc3339(),
            r.to_rfc3339(),
            "1".into(),
            "high".into(),
        ])
        .unwrap();
    }
    w.flush().unwrap();
    path
}

#[test]
fn report_html_is_self_contained_and_escaped() {
    let dir = tempfile::tempdir().unwrap();
    let input = hostile_history(dir.path());
    let out = dir.path().join("out");
    run_quietly(dir.path(), &input, &out);
    let html = std::fs::read_to_string(out.join("report.html")).unwrap();
    // Escaped, never markup: no element from the data, no fetch.
    let lower = html.to_lowercase();
    assert!(!lower.contains("<script"), "a script element");
    assert!(!lower.contains("<img"), "an img element");
    assert!(html.contains("&lt;script&gt;alert(document.domain)&lt;/script&gt;"));
    // No tag fetches anything (text from the data is escaped, so every `<`
    // starts a real tag).
    for tag in lower
        .split('<')
        .skip(1)
        .map(|t| t.split('>').next().unwrap_or(""))
    {
        for attr in [" src=", " href=", "url(", "@import"] {
            assert!(!tag.contains(attr), "{attr} in the tag <{tag}>");
        }
    }
    let without_ns = lower.replace("xmlns=\"http://www.w3.org/2000/svg\"", "");
    assert!(!without_ns.contains("http:") && !without_ns.contains("https:"));
    assert_eq!(html.matches("<svg").count(), 8, "eight inline charts");
    png_copies_match_the_charts(&out.join("charts"));

    let Some(chrome) = chromium() else {
        crate::util::skip(
            "the browser half: chromium is not installed (.ci/run installs Debian's package)",
        );
        return;
    };
    let url = format!("file://{}", out.join("report.html").display());
    let browse = |extra: &[&str]| {
        let profile = tempfile::tempdir().unwrap();
        let o = Command::new(chrome)
            .args([
                "--headless",
                "--no-sandbox",
                "--disable-gpu",
                "--disable-quic",
                "--no-first-run",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                "--enable-logging=stderr",
                "--v=0",
                &format!("--user-data-dir={}", profile.path().display()),
            ])
            .args(extra)
            .arg(&url)
            .output()
            .unwrap();
        assert!(o.status.success(), "{}", stderr(&o));
        o
    };
    let o = browse(&["--dump-dom"]);
    let log = stderr(&o);
    // Chromium logs a page's console messages (and CSP violations) so.
    assert!(
        !log.contains("CONSOLE") && !log.contains("Content Security Policy"),
        "console output while loading report.html:\n{log}"
    );
    let dom = String::from_utf8_lossy(&o.stdout).to_lowercase();
    assert!(!dom.contains("<script"), "the DOM has a script element");
    assert!(!dom.contains("<img"), "the DOM has an img element");
    assert!(dom.contains("&lt;script&gt;alert(document.domain)&lt;/script&gt;"));

    let shot = dir.path().join("shot.png");
    browse(&[
        "--window-size=1100,2400",
        &format!("--screenshot={}", shot.display()),
    ]);
    // The charts' bars are drawn in the palette's blue and vermilion.
    let shot = Image::read(&shot);
    let blue = shot.count([0x00, 0x72, 0xB2]);
    let vermilion = shot.count([0xD5, 0x5E, 0x00]);
    assert!(
        blue > 5_000 && vermilion > 2_000,
        "charts not drawn: {blue} blue, {vermilion} vermilion pixels"
    );
}

/// A decoded PNG: width, height, samples per pixel, the pixels.
struct Image {
    width: u32,
    height: u32,
    samples: usize,
    data: Vec<u8>,
}

impl Image {
    fn read(path: &Path) -> Image {
        let file = std::fs::File::open(path).unwrap();
        let decoder = png::Decoder::new(std::io::BufReader::new(file));
        let mut reader = decoder.read_info().unwrap();
        let mut data = vec![0; reader.output_buffer_size().unwrap()];
        let info = reader.next_frame(&mut data).unwrap();
        data.truncate(info.buffer_size());
        Image {
            width: info.width,
            height: info.height,
            samples: info.color_type.samples(),
            data,
        }
    }

    /// Pixels of exactly this colour.
    fn count(&self, rgb: [u8; 3]) -> usize {
        self.data
            .chunks(self.samples)
            .filter(|p| p[..3] == rgb)
            .count()
    }

    /// Dark pixels (text, axes) in rows `y0..y1`.
    fn dark_in_rows(&self, y0: u32, y1: u32) -> usize {
        let row = self.width as usize * self.samples;
        self.data[y0 as usize * row..y1 as usize * row]
            .chunks(self.samples)
            .filter(|p| p[0] < 100 && p[1] < 100 && p[2] < 100)
            .count()
    }
}

/// Every chart has its PNG copy: twice the SVG's size, the palette's
/// colours in it, and its bold title drawn (dark pixels in the title band,
/// y = 10..34 in SVG units: the carried font, as no system font is used).
fn png_copies_match_the_charts(charts: &Path) {
    let mut svgs = 0;
    for entry in std::fs::read_dir(charts).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_none_or(|e| e != "svg") {
            continue;
        }
        svgs += 1;
        let svg = std::fs::read_to_string(&path).unwrap();
        let attr = |name: &str| -> u32 {
            let at = svg.find(&format!(" {name}=\"")).unwrap() + name.len() + 3;
            svg[at..].split('"').next().unwrap().parse().unwrap()
        };
        let png = Image::read(&path.with_extension("png"));
        assert_eq!(
            (png.width, png.height),
            (2 * attr("width"), 2 * attr("height")),
            "{}",
            path.display()
        );
        let palette = [[0x00, 0x72, 0xB2], [0xD5, 0x5E, 0x00], [0x00, 0x9E, 0x73]];
        let coloured: usize = palette.iter().map(|c| png.count(*c)).sum();
        assert!(
            coloured > 1_000,
            "{}: {coloured} palette pixels",
            path.display()
        );
        let title = png.dark_in_rows(20, 68);
        assert!(
            title > 1_000,
            "{}: title not drawn ({title} dark pixels)",
            path.display()
        );
    }
    assert_eq!(svgs, 8);
}
