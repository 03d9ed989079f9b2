//! PNG copies of the SVG charts, for chat and slides: the same SVG
//! rasterised by resvg, so the PNG and the SVG are one drawing.
//!
//! Text is set in the fonts the program carries (`assets/fonts`: DejaVu
//! Sans and DejaVu Sans Bold, compiled into the binary). No system font is
//! ever looked up (resvg is built without `system-fonts`), so a machine with
//! no fonts installed draws the same pixels as one with many.

use std::sync::{Arc, OnceLock};

use resvg::{tiny_skia, usvg};

use crate::error::Error;

/// The carried fonts: regular and bold (the chart titles are bold).
const FONTS: [&[u8]; 2] = [
    include_bytes!("../../assets/fonts/DejaVuSans.ttf"),
    include_bytes!("../../assets/fonts/DejaVuSans-Bold.ttf"),
];

/// The family every chart asks for first, and the fallback for any other.
pub const FAMILY: &str = "DejaVu Sans";

/// Pixels per SVG unit: 2 gives a 1520-pixel-wide chart, sharp on a
/// high-density screen or a slide.
pub const SCALE: f32 = 2.0;

/// Parsing options with the carried fonts loaded, built once.
fn options() -> &'static usvg::Options<'static> {
    static OPTIONS: OnceLock<usvg::Options<'static>> = OnceLock::new();
    OPTIONS.get_or_init(|| {
        let mut db = usvg::fontdb::Database::new();
        for font in FONTS {
            db.load_font_source(usvg::fontdb::Source::Binary(Arc::new(font)));
        }
        // Any generic family (`sans-serif`, `serif`, …) resolves to ours.
        db.set_sans_serif_family(FAMILY);
        db.set_serif_family(FAMILY);
        db.set_monospace_family(FAMILY);
        db.set_cursive_family(FAMILY);
        db.set_fantasy_family(FAMILY);
        usvg::Options {
            font_family: FAMILY.to_string(),
            fontdb: Arc::new(db),
            ..usvg::Options::default()
        }
    })
}

/// Rasterise `svg` at `scale` pixels per unit and encode it as PNG.
/// `name` names the chart in an error.
pub fn render(name: &str, svg: &str, scale: f32) -> Result<Vec<u8>, Error> {
    let fail = |reason: String| Error::Render {
        chart: name.to_string(),
        reason,
    };
    raster(svg, scale)
        .map_err(fail)?
        .encode_png()
        .map_err(|e| fail(e.to_string()))
}

/// `svg` drawn on a canvas `scale` times its size.
fn raster(svg: &str, scale: f32) -> Result<tiny_skia::Pixmap, String> {
    let tree = usvg::Tree::from_str(svg, options()).map_err(|e| e.to_string())?;
    let size = tree.size().to_int_size().scale_by(scale).ok_or_else(|| {
        format!(
            "cannot scale {}x{} by {scale}",
            tree.size().width(),
            tree.size().height()
        )
    })?;
    let mut pixmap = tiny_skia::Pixmap::new(size.width(), size.height())
        .ok_or_else(|| format!("no {}x{} canvas", size.width(), size.height()))?;
    resvg::render(
        &tree,
        tiny_skia::Transform::from_scale(scale, scale),
        &mut pixmap.as_mut(),
    );
    Ok(pixmap)
}

/// [`render`] at [`SCALE`].
pub fn png(name: &str, svg: &str) -> Result<Vec<u8>, Error> {
    render(name, svg, SCALE)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn both_carried_fonts_are_loaded_under_one_family() {
        let db = &options().fontdb;
        let faces: Vec<_> = db.faces().collect();
        assert_eq!(faces.len(), 2);
        for face in faces {
            assert!(face.families.iter().any(|(f, _)| f == FAMILY));
        }
        let bold = usvg::fontdb::Query {
            families: &[usvg::fontdb::Family::SansSerif],
            weight: usvg::fontdb::Weight::BOLD,
            ..Default::default()
        };
        let id = db.query(&bold).expect("bold face");
        assert_eq!(
            db.face(id).map(|f| f.weight),
            Some(usvg::fontdb::Weight::BOLD)
        );
    }

    /// The box of the dark pixels: (left, top, right, bottom), exclusive.
    fn ink(p: &tiny_skia::Pixmap) -> Option<(u32, u32, u32, u32)> {
        let w = p.width();
        let mut b: Option<(u32, u32, u32, u32)> = None;
        for (i, px) in p.pixels().iter().enumerate() {
            if px.red() < 128 {
                let (x, y) = (i as u32 % w, i as u32 / w);
                b = Some(match b {
                    None => (x, y, x + 1, y + 1),
                    Some((l, t, r, bt)) => (l.min(x), t.min(y), r.max(x + 1), bt.max(y + 1)),
                });
            }
        }
        b
    }

    fn text_svg(family: &str, weight: &str, text: &str) -> String {
        format!(
            r##"<svg xmlns="http://www.w3.org/2000/svg" width="600" height="140" font-family="{family}"><rect width="600" height="140" fill="#fff"/><text x="20" y="100" font-size="64" font-weight="{weight}">{text}</text></svg>"##
        )
    }

    /// Ten H's at 64 px, measured against DejaVu Sans' own metrics (2048
    /// units per em; H: advance 1540, ink 201..1339, cap height 1493;
    /// bold H: advance 1714, ink 188..1526): ink from x = 20 + 201·64/2048
    /// = 26.3 over 9·1540 + 1138 = 14,998 units = 468.7 px, 1493·64/2048 =
    /// 46.7 px tall above the baseline at y = 100; bold 16,764 units =
    /// 523.9 px. Another sans (Liberation Sans' H advances 1479) would be
    /// 20 px narrower. The family asked for is one this machine may have
    /// or not: the carried font answers every name.
    #[test]
    fn text_is_set_in_the_carried_font_whatever_family_is_asked() {
        for family in ["DejaVu Sans", "Arial, sans-serif", "No Such Font"] {
            let p = raster(&text_svg(family, "normal", "HHHHHHHHHH"), 1.0).unwrap();
            let (l, t, r, b) = ink(&p).expect("text drawn");
            assert!((26..=27).contains(&l), "{family}: left {l}");
            assert!((r - l).abs_diff(469) <= 1, "{family}: width {}", r - l);
            assert_eq!(b, 100, "{family}: baseline");
            assert!((b - t).abs_diff(47) <= 1, "{family}: height {}", b - t);
            let p = raster(&text_svg(family, "bold", "HHHHHHHHHH"), 1.0).unwrap();
            let (l, _, r, _) = ink(&p).expect("bold text drawn");
            assert!((r - l).abs_diff(524) <= 1, "{family}: bold width {}", r - l);
        }
        let blank = raster(&text_svg("DejaVu Sans", "normal", ""), 1.0).unwrap();
        assert_eq!(ink(&blank), None);
    }

    #[test]
    fn scale_multiplies_the_canvas() {
        let svg = text_svg("DejaVu Sans", "normal", "H");
        let p = raster(&svg, SCALE).unwrap();
        assert_eq!((p.width(), p.height()), (1200, 280));
        let png = png("h.svg", &svg).unwrap();
        assert_eq!(&png[..8], b"\x89PNG\r\n\x1a\n");
    }

    /// Titles from the data reach the charts' labels: none of these may
    /// fail the drawing.
    #[test]
    fn hostile_labels_draw() {
        let labels: Vec<String> = [
            "<script>alert(1)</script>",
            "\u{202E}evil\u{202C} RTL override",
            "عطل في قاعدة البيانات",
            "ディスクがいっぱい 🔥🚨",
            "e\u{301}\u{301}\u{301}\u{301} combining",
            "nul\u{0}bell\u{7}\u{FFFF}\u{FFFE}",
            &"x".repeat(10_000),
            "",
        ]
        .map(String::from)
        .to_vec();
        let values: Vec<f64> = (1..=labels.len()).map(|v| v as f64).collect();
        let svg = crate::chart::bar_chart(
            "hostile <title> & \u{0}",
            "rule",
            "pages",
            &labels,
            &[("pages".into(), values)],
        );
        let p = raster(&svg, 1.0).unwrap();
        assert!(ink(&p).is_some());
    }
}
