//! Text for the PDF's standard fonts: Helvetica and Helvetica-Bold with
//! WinAnsiEncoding (Windows-1252), which every PDF reader has built in, so the
//! receipt embeds no font. The encoding covers Norwegian (æøå ÆØÅ) and the
//! rest of Western Europe; any other character is written as `?`, visibly,
//! rather than dropped.
//!
//! The widths are Adobe's metrics of the two fonts (their AFM files), per
//! WinAnsi code from 32 to 255, in thousandths of the font size: what line
//! wrapping needs to know where a line ends.

/// The byte `c` has in WinAnsiEncoding, if it has one.
pub fn encode_char(c: char) -> Option<u8> {
    let u = u32::from(c);
    match u {
        0x20..=0x7E | 0xA0..=0xFF => u8::try_from(u).ok(),
        _ => HIGH.iter().find(|(_, ch)| *ch == c).map(|(b, _)| *b),
    }
}

/// What stands in for a character WinAnsi does not have.
pub const REPLACEMENT: u8 = b'?';

/// `text` as WinAnsi bytes: tabs and other spaces become a space, line breaks
/// are the layout's business (the caller splits lines first), anything else
/// unmappable becomes [`REPLACEMENT`].
pub fn encode(text: &str) -> Vec<u8> {
    text.chars()
        .map(|c| match encode_char(c) {
            Some(b) => b,
            None if c.is_whitespace() => b' ',
            None => REPLACEMENT,
        })
        .collect()
}

/// Windows-1252's 0x80–0x9F (five codes there are unassigned).
const HIGH: [(u8, char); 27] = [
    (0x80, '€'),
    (0x82, '‚'),
    (0x83, 'ƒ'),
    (0x84, '„'),
    (0x85, '…'),
    (0x86, '†'),
    (0x87, '‡'),
    (0x88, 'ˆ'),
    (0x89, '‰'),
    (0x8A, 'Š'),
    (0x8B, '‹'),
    (0x8C, 'Œ'),
    (0x8E, 'Ž'),
    (0x91, '\u{2018}'),
    (0x92, '\u{2019}'),
    (0x93, '\u{201C}'),
    (0x94, '\u{201D}'),
    (0x95, '•'),
    (0x96, '–'),
    (0x97, '—'),
    (0x98, '˜'),
    (0x99, '™'),
    (0x9A, 'š'),
    (0x9B, '›'),
    (0x9C, 'œ'),
    (0x9E, 'ž'),
    (0x9F, 'Ÿ'),
];

/// The two fonts the receipt uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Font {
    Regular,
    Bold,
}

impl Font {
    /// The width of encoded `bytes` at `size` points.
    pub fn width(self, bytes: &[u8], size: f32) -> f32 {
        let table = match self {
            Font::Regular => &HELVETICA,
            Font::Bold => &HELVETICA_BOLD,
        };
        let units: u32 =
            bytes.iter().map(|&b| table.get(usize::from(b.saturating_sub(32))).copied().map_or(556, u32::from)).sum();
        // Exact: sums of at most a few thousand units.
        units as f32 * size / 1000.0
    }
}

const HELVETICA: [u16; 224] = [
    278, 278, 355, 556, 556, 889, 667, 191, 333, 333, 389, 584, 278, 333, 278, 278, 556, 556, 556, 556, 556, 556, 556,
    556, 556, 556, 278, 278, 584, 584, 584, 556, 1015, 667, 667, 722, 722, 667, 611, 778, 722, 278, 500, 667, 556, 833,
    722, 778, 667, 778, 722, 667, 611, 722, 667, 944, 667, 667, 611, 278, 278, 278, 333, 556, 333, 556, 556, 500, 556,
    556, 278, 556, 556, 222, 222, 500, 222, 833, 556, 556, 556, 556, 333, 500, 278, 556, 500, 722, 500, 500, 500, 334,
    260, 334, 333, 0, 556, 556, 222, 556, 333, 1000, 556, 556, 333, 1000, 667, 333, 1000, 500, 611, 0, 278, 222, 222,
    333, 333, 350, 556, 1000, 333, 1000, 500, 333, 944, 333, 500, 667, 278, 333, 556, 556, 556, 556, 260, 556, 333,
    737, 370, 333, 584, 333, 737, 333, 400, 584, 333, 333, 333, 578, 537, 278, 333, 333, 365, 333, 834, 834, 834, 611,
    667, 667, 667, 667, 667, 667, 1000, 722, 667, 667, 667, 667, 278, 278, 278, 278, 722, 722, 778, 778, 778, 778, 778,
    584, 778, 722, 722, 722, 722, 667, 667, 611, 556, 556, 556, 556, 556, 556, 889, 500, 556, 556, 556, 556, 278, 278,
    278, 278, 556, 556, 556, 556, 556, 556, 556, 584, 611, 556, 556, 556, 556, 500, 556, 500,
];
const HELVETICA_BOLD: [u16; 224] = [
    278, 333, 474, 556, 556, 889, 722, 238, 333, 333, 389, 584, 278, 333, 278, 278, 556, 556, 556, 556, 556, 556, 556,
    556, 556, 556, 333, 333, 584, 584, 584, 611, 975, 722, 722, 722, 722, 667, 611, 778, 722, 278, 556, 722, 611, 833,
    722, 778, 667, 778, 722, 667, 611, 722, 667, 944, 667, 667, 611, 333, 278, 333, 333, 556, 333, 556, 611, 556, 611,
    556, 333, 611, 611, 278, 278, 556, 278, 889, 611, 611, 611, 611, 389, 556, 333, 611, 556, 778, 556, 556, 500, 389,
    280, 389, 333, 0, 556, 556, 278, 556, 500, 1000, 556, 556, 333, 1000, 667, 333, 1000, 611, 611, 0, 278, 278, 278,
    500, 500, 350, 556, 1000, 333, 1000, 556, 333, 944, 500, 500, 667, 278, 333, 556, 556, 556, 556, 280, 556, 333,
    737, 370, 333, 584, 333, 737, 333, 400, 584, 333, 333, 333, 611, 556, 278, 333, 333, 365, 333, 834, 834, 834, 611,
    722, 722, 722, 722, 722, 722, 1000, 722, 667, 667, 667, 667, 278, 278, 278, 278, 722, 722, 778, 778, 778, 778, 778,
    584, 778, 722, 722, 722, 722, 667, 667, 611, 556, 556, 556, 556, 556, 556, 889, 556, 556, 556, 556, 556, 278, 278,
    278, 278, 611, 611, 611, 611, 611, 611, 611, 584, 611, 611, 611, 611, 611, 556, 611, 556,
];
