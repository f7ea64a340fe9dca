//! XML for e-invoices: a document read by quick-xml into a small tree of
//! elements by local name (the syntaxes' namespaces are fixed by their
//! root; prefixes vary between producers), and a writer that escapes
//! every text and attribute.

use quick_xml::events::Event;
use quick_xml::Reader;

/// An element: its local name, attributes (local names), text and children.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Node {
    pub name: String,
    pub attrs: Vec<(String, String)>,
    pub text: String,
    pub children: Vec<Node>,
}

impl Node {
    /// The first child named `name`.
    pub fn child(&self, name: &str) -> Option<&Node> {
        self.children.iter().find(|c| c.name == name)
    }

    /// Every child named `name`.
    pub fn all<'a>(&'a self, name: &'a str) -> impl Iterator<Item = &'a Node> + 'a {
        self.children.iter().filter(move |c| c.name == name)
    }

    /// The node at a path of child names.
    pub fn at(&self, path: &[&str]) -> Option<&Node> {
        path.iter().try_fold(self, |node, name| node.child(name))
    }

    /// The trimmed text at a path ("" when absent).
    pub fn text_at(&self, path: &[&str]) -> &str {
        self.at(path).map(|n| n.text.trim()).unwrap_or("")
    }

    pub fn attr(&self, name: &str) -> Option<&str> {
        self.attrs.iter().find(|(k, _)| k == name).map(|(_, v)| v.as_str())
    }
}

/// Why a document could not be read.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NotXml(pub String);

fn local(name: &str) -> String {
    name.to_string()
}

/// Parses a whole document into its root element.
pub fn parse(text: &str) -> Result<Node, NotXml> {
    let mut reader = Reader::from_str(text);
    let mut stack: Vec<Node> = Vec::new();
    let mut root = None;
    loop {
        let event = reader.read_event().map_err(|e| NotXml(e.to_string()))?;
        match event {
            Event::Start(e) | Event::Empty(e) if root.is_some() => {
                let _ = e;
                return Err(NotXml("content after the root element".into()));
            }
            Event::Start(e) => {
                stack.push(element(&e)?);
            }
            Event::Empty(e) => {
                let node = element(&e)?;
                match stack.last_mut() {
                    Some(parent) => parent.children.push(node),
                    None => root = Some(node),
                }
            }
            Event::End(_) => {
                let node = stack.pop().ok_or_else(|| NotXml("unbalanced end tag".into()))?;
                match stack.last_mut() {
                    Some(parent) => parent.children.push(node),
                    None => root = Some(node),
                }
            }
            Event::Text(t) => {
                if let Some(n) = stack.last_mut() {
                    n.text.push_str(&t.xml10_content());
                }
            }
            Event::CData(t) => {
                if let Some(n) = stack.last_mut() {
                    n.text.push_str(t.as_ref());
                }
            }
            Event::GeneralRef(r) => {
                let c = if r.is_char_ref() {
                    r.resolve_char_ref().map_err(|e| NotXml(e.to_string()))?
                } else {
                    match r.xml10_content().as_ref() {
                        "amp" => Some('&'),
                        "lt" => Some('<'),
                        "gt" => Some('>'),
                        "quot" => Some('"'),
                        "apos" => Some('\''),
                        other => return Err(NotXml(format!("unknown entity {other}"))),
                    }
                };
                if let (Some(n), Some(c)) = (stack.last_mut(), c) {
                    n.text.push(c);
                }
            }
            Event::Eof => break,
            _ => {}
        }
    }
    if !stack.is_empty() {
        return Err(NotXml("unclosed element".into()));
    }
    root.ok_or_else(|| NotXml("no root element".into()))
}

fn element(e: &quick_xml::events::BytesStart) -> Result<Node, NotXml> {
    let mut attrs = Vec::new();
    for a in e.attributes() {
        let a = a.map_err(|e| NotXml(e.to_string()))?;
        let value =
            a.normalized_value(quick_xml::XmlVersion::Implicit1_0).map_err(|e| NotXml(e.to_string()))?.into_owned();
        attrs.push((local(a.key.local_name().as_ref()), value));
    }
    Ok(Node { name: local(e.local_name().as_ref()), attrs, ..Node::default() })
}

/// Writes XML with its declaration; every text and attribute escaped.
#[derive(Default)]
pub struct Writer {
    out: String,
    open: Vec<&'static str>,
}

impl Writer {
    pub fn new() -> Writer {
        Writer { out: String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"), open: Vec::new() }
    }

    fn attrs(&mut self, attrs: &[(&str, &str)]) {
        for (k, v) in attrs {
            self.out.push(' ');
            self.out.push_str(k);
            self.out.push_str("=\"");
            self.out.push_str(&quick_xml::escape::escape(*v));
            self.out.push('"');
        }
    }

    pub fn open(&mut self, name: &'static str, attrs: &[(&str, &str)]) -> &mut Writer {
        self.out.push('<');
        self.out.push_str(name);
        self.attrs(attrs);
        self.out.push('>');
        self.open.push(name);
        self
    }

    pub fn close(&mut self) -> &mut Writer {
        if let Some(name) = self.open.pop() {
            self.out.push_str("</");
            self.out.push_str(name);
            self.out.push('>');
        }
        self
    }

    /// An element with text (left out when the text is empty).
    pub fn leaf(&mut self, name: &'static str, attrs: &[(&str, &str)], text: &str) -> &mut Writer {
        if text.is_empty() {
            return self;
        }
        self.out.push('<');
        self.out.push_str(name);
        self.attrs(attrs);
        self.out.push('>');
        self.out.push_str(&quick_xml::escape::escape(text));
        self.out.push_str("</");
        self.out.push_str(name);
        self.out.push('>');
        self
    }

    pub fn finish(mut self) -> String {
        while !self.open.is_empty() {
            self.close();
        }
        self.out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prefixes_entities_and_empty_elements() {
        let doc = parse(
            r#"<?xml version="1.0"?><a:Root xmlns:a="urn:x"><a:Name lang="fr">Dupont &amp; Fils &#233;</a:Name><Empty/><![CDATA[x]]></a:Root>"#,
        )
        .unwrap();
        assert_eq!(doc.name, "Root");
        assert_eq!(doc.text_at(&["Name"]), "Dupont & Fils é");
        assert_eq!(doc.at(&["Name"]).unwrap().attr("lang"), Some("fr"));
        assert!(doc.child("Empty").is_some());
    }

    #[test]
    fn broken_documents_are_refused() {
        for bad in ["", "<a><b></a>", "<a>", "not xml", "<a/><b/>", "<a>&bogus;</a>"] {
            assert!(parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn the_writer_escapes_and_round_trips() {
        let mut w = Writer::new();
        w.open("r", &[("k", "a\"<b")]).leaf("t", &[], "Smith & <Sons>").leaf("skipped", &[], "");
        let text = w.finish();
        let back = parse(&text).unwrap();
        assert_eq!(back.attr("k"), Some("a\"<b"));
        assert_eq!(back.text_at(&["t"]), "Smith & <Sons>");
        assert!(back.child("skipped").is_none());
    }
}
