//! A [`Receipt`] as a PDF: A4, the standard Helvetica fonts with
//! WinAnsiEncoding ([`super::winansi`]), lines wrapped to the column, tables
//! that go on over as many pages as they need with their column titles
//! repeated, and "page n of m" at the foot of each page. Written with
//! `pdf-writer`, which writes the file's objects and nothing else.

use super::model::{Receipt, Table};
use super::winansi::{encode, Font};
use pdf_writer::{Content, Date, Finish, Name, Pdf, Rect, Ref, Str, TextStr};

const PAGE_W: f32 = 595.28;
const PAGE_H: f32 = 841.89;
const MARGIN: f32 = 56.0;
/// Room kept at the foot for the page number.
const FOOT: f32 = 36.0;
const BODY: f32 = 10.0;
const SMALL: f32 = 9.0;
const LEADING: f32 = 1.3;
const LABEL_W: f32 = 180.0;
const CELL_PAD: f32 = 6.0;

/// One piece of text placed on a page.
#[derive(Debug, Clone, PartialEq)]
struct Placed {
    x: f32,
    y: f32,
    font: Font,
    size: f32,
    bytes: Vec<u8>,
}

/// A horizontal rule.
#[derive(Debug, Clone, Copy, PartialEq)]
struct Rule {
    x: f32,
    y: f32,
    w: f32,
}

#[derive(Debug, Default)]
struct Page {
    texts: Vec<Placed>,
    rules: Vec<Rule>,
}

/// Splits `text` into lines no wider than `width`: at spaces where it can,
/// inside a word (a checksum, an ID, a long file name) where it must. Line
/// breaks in the text are kept.
fn wrap(text: &str, font: Font, size: f32, width: f32) -> Vec<Vec<u8>> {
    let mut lines = Vec::new();
    for paragraph in text.split('\n') {
        let bytes = encode(paragraph.trim_end_matches('\r'));
        let mut line: Vec<u8> = Vec::new();
        for word in bytes.split(|&b| b == b' ') {
            let candidate = if line.is_empty() { word.to_vec() } else { [&line[..], b" ", word].concat() };
            if font.width(&candidate, size) <= width {
                line = candidate;
                continue;
            }
            if !line.is_empty() {
                lines.push(std::mem::take(&mut line));
            }
            // The word alone: broken into pieces as wide as the column.
            for &b in word {
                line.push(b);
                if font.width(&line, size) > width && line.len() > 1 {
                    let last = line.pop().unwrap_or(b' ');
                    lines.push(std::mem::replace(&mut line, vec![last]));
                }
            }
        }
        lines.push(line);
    }
    lines
}

/// Places text top-down, starting a new page when the next line does not fit.
struct Layout {
    pages: Vec<Page>,
    y: f32,
}

impl Layout {
    fn new() -> Self {
        Layout { pages: vec![Page::default()], y: PAGE_H - MARGIN }
    }

    fn page(&mut self) -> &mut Page {
        if self.pages.is_empty() {
            self.pages.push(Page::default());
        }
        let last = self.pages.len() - 1;
        &mut self.pages[last]
    }

    fn new_page(&mut self) {
        self.pages.push(Page::default());
        self.y = PAGE_H - MARGIN;
    }

    /// Makes room for `h` points, on a new page if this one has too little.
    /// True when a new page was begun.
    fn ensure(&mut self, h: f32) -> bool {
        if self.y - h < MARGIN + FOOT && self.y < PAGE_H - MARGIN {
            self.new_page();
            return true;
        }
        false
    }

    fn text(&mut self, x: f32, y: f32, font: Font, size: f32, bytes: Vec<u8>) {
        self.page().texts.push(Placed { x, y, font, size, bytes });
    }

    /// A paragraph over the full width.
    fn paragraph(&mut self, text: &str, font: Font, size: f32) {
        for line in wrap(text, font, size, PAGE_W - 2.0 * MARGIN) {
            self.ensure(size * LEADING);
            self.y -= size * LEADING;
            self.text(MARGIN, self.y, font, size, line);
        }
    }

    fn rule(&mut self) {
        let y = self.y - 3.0;
        self.page().rules.push(Rule { x: MARGIN, y, w: PAGE_W - 2.0 * MARGIN });
        self.y -= 6.0;
    }

    /// Label and value beside each other; the value wraps in its column.
    fn facts(&mut self, facts: &[(String, String)]) {
        let value_w = PAGE_W - 2.0 * MARGIN - LABEL_W;
        for (label, value) in facts {
            let labels = wrap(label, Font::Bold, BODY, LABEL_W - CELL_PAD);
            let values = wrap(value, Font::Regular, BODY, value_w);
            self.row(&[(labels, Font::Bold, MARGIN), (values, Font::Regular, MARGIN + LABEL_W)], BODY);
        }
    }

    /// One row of cells, each a column of lines. A row that fits on a page is
    /// kept together; a longer one (a property value of 3000 characters)
    /// goes on over the page break line by line.
    fn row(&mut self, cells: &[(Vec<Vec<u8>>, Font, f32)], size: f32) -> bool {
        let line_h = size * LEADING;
        let n = cells.iter().map(|(lines, _, _)| lines.len()).max().unwrap_or(0).max(1);
        let usable = PAGE_H - 2.0 * MARGIN - FOOT;
        let mut broke = self.ensure((n as f32 * line_h).min(usable));
        for i in 0..n {
            broke |= self.ensure(line_h);
            self.y -= line_h;
            for (lines, font, x) in cells {
                if let Some(line) = lines.get(i) {
                    self.text(*x, self.y, *font, size, line.clone());
                }
            }
        }
        self.y -= 2.0;
        broke
    }

    fn table(&mut self, table: &Table) {
        self.y -= 8.0;
        // The heading stays with the column titles and the first row.
        self.ensure(12.0 * LEADING + 3.0 * SMALL * LEADING + 12.0);
        self.paragraph(&table.heading, Font::Bold, 12.0);
        let width = PAGE_W - 2.0 * MARGIN;
        let xs: Vec<f32> = table
            .shares
            .iter()
            .scan(MARGIN, |x, share| {
                let here = *x;
                *x += share * width;
                Some(here)
            })
            .collect();
        let widths: Vec<f32> = table.shares.iter().map(|s| s * width - CELL_PAD).collect();
        let header = |layout: &mut Layout| {
            let cells: Vec<_> = (0..xs.len())
                .map(|c| {
                    let title = table.columns.get(c).map_or("", String::as_str);
                    (wrap(title, Font::Bold, SMALL, widths[c]), Font::Bold, xs[c])
                })
                .collect();
            layout.row(&cells, SMALL);
            layout.rule();
        };
        header(self);
        if table.rows.is_empty() {
            self.row(&[(wrap(&table.empty, Font::Regular, SMALL, width), Font::Regular, MARGIN)], SMALL);
        }
        for row in &table.rows {
            let cells: Vec<_> = (0..xs.len())
                .map(|c| {
                    let text = row.get(c).map_or("", String::as_str);
                    (wrap(text, Font::Regular, SMALL, widths[c]), Font::Regular, xs[c])
                })
                .collect();
            // A row that starts a new page gets the column titles again above it.
            let n = cells.iter().map(|(l, _, _)| l.len()).max().unwrap_or(1) as f32;
            if self.ensure((n * SMALL * LEADING + 2.0).min(PAGE_H - 2.0 * MARGIN - FOOT - 40.0)) {
                header(self);
            }
            self.row(&cells, SMALL);
        }
    }
}

fn lay_out(receipt: &Receipt) -> Vec<Page> {
    let mut l = Layout::new();
    l.paragraph(&receipt.title, Font::Bold, 18.0);
    l.y -= 2.0;
    l.paragraph(&receipt.subject, Font::Regular, 12.0);
    l.y -= 6.0;
    l.paragraph(&receipt.origin, Font::Bold, BODY);
    l.paragraph(&receipt.origin_explained, Font::Regular, SMALL);
    l.rule();
    l.y -= 4.0;
    l.facts(&receipt.facts);
    for table in &receipt.tables {
        l.table(table);
    }
    l.pages
}

fn pdf_date(t: time::OffsetDateTime) -> Date {
    let t = t.to_offset(time::UtcOffset::UTC);
    let year = u16::try_from(t.year()).unwrap_or(0);
    Date::new(year)
        .month(u8::from(t.month()))
        .day(t.day())
        .hour(t.hour())
        .minute(t.minute())
        .second(t.second())
        .utc_offset_hour(0)
        .utc_offset_minute(0)
}

/// The receipt as the bytes of a PDF file.
pub fn render(receipt: &Receipt) -> Vec<u8> {
    let pages = lay_out(receipt);
    let total = pages.len();
    let mut pdf = Pdf::new();
    let catalog = Ref::new(1);
    let tree = Ref::new(2);
    let regular = Ref::new(3);
    let bold = Ref::new(4);
    let info = Ref::new(5);
    let first_page = 6;
    let page_ids: Vec<Ref> = (0..total).map(|i| Ref::new(first_page + 2 * i as i32)).collect();

    let mut cat = pdf.catalog(catalog);
    cat.pages(tree);
    cat.lang(TextStr(&receipt.lang));
    cat.finish();
    pdf.pages(tree).kids(page_ids.iter().copied()).count(i32::try_from(total).unwrap_or(i32::MAX));
    pdf.type1_font(regular).base_font(Name(b"Helvetica")).encoding_predefined(Name(b"WinAnsiEncoding"));
    pdf.type1_font(bold).base_font(Name(b"Helvetica-Bold")).encoding_predefined(Name(b"WinAnsiEncoding"));

    for (i, page) in pages.iter().enumerate() {
        let id = page_ids[i];
        let content_id = Ref::new(id.get() + 1);
        let mut p = pdf.page(id);
        p.media_box(Rect::new(0.0, 0.0, PAGE_W, PAGE_H));
        p.parent(tree);
        p.contents(content_id);
        p.resources().fonts().pair(Name(b"F1"), regular).pair(Name(b"F2"), bold);
        p.finish();

        let mut c = Content::new();
        c.set_stroke_gray(0.6).set_line_width(0.5);
        for r in &page.rules {
            c.move_to(r.x, r.y).line_to(r.x + r.w, r.y);
        }
        if !page.rules.is_empty() {
            c.stroke();
        }
        c.set_fill_gray(0.0);
        let foot = receipt.page_label.replace("{n}", &(i + 1).to_string()).replace("{total}", &total.to_string());
        let foot = format!("{} · {} · {}", receipt.title, receipt.made_text, foot);
        let foot_item = Placed { x: MARGIN, y: MARGIN - 10.0, font: Font::Regular, size: 8.0, bytes: encode(&foot) };
        for t in page.texts.iter().chain(std::iter::once(&foot_item)) {
            let font = match t.font {
                Font::Regular => Name(b"F1"),
                Font::Bold => Name(b"F2"),
            };
            c.begin_text();
            c.set_font(font, t.size);
            c.next_line(t.x, t.y);
            c.show(Str(&t.bytes));
            c.end_text();
        }
        pdf.stream(content_id, &c.finish());
    }

    let title = format!("{} – {}", receipt.title, receipt.subject);
    let mut doc = pdf.document_info(info);
    doc.title(TextStr(&title));
    doc.producer(TextStr("Budbringer"));
    doc.creator(TextStr(concat!("Budbringer ", env!("CARGO_PKG_VERSION"))));
    doc.creation_date(pdf_date(receipt.made));
    doc.finish();
    pdf.finish()
}

#[cfg(test)]
pub(super) fn wrap_for_tests(text: &str, width: f32) -> Vec<Vec<u8>> {
    wrap(text, Font::Regular, BODY, width)
}
