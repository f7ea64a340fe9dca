//! Factur-X (and its German twin ZUGFeRD 2): a PDF/A-3 whose associated
//! file is the invoice's CII XML. Writing: the PDF itself is made by the
//! server's PDF module; here the XMP metadata gets the Factur-X
//! declaration (the `fx:` properties and their PDF/A extension schema).
//! Reading: the embedded XML of any such PDF, with lopdf.

use lopdf::{Document, Object};

/// The attachment's name Factur-X requires.
pub const FILE_NAME: &str = "factur-x.xml";

/// Attachment names of the same XML in ZUGFeRD 1/2 and XRechnung PDFs,
/// tried after `FILE_NAME`.
const OTHER_NAMES: [&str; 4] = ["zugferd-invoice.xml", "ZUGFeRD-invoice.xml", "xrechnung.xml", "order-x.xml"];

const NAMESPACE: &str = "urn:factur-x:pdfa:CrossIndustryDocument:invoice:1p0#";

/// The Factur-X properties of the document (EN 16931 profile).
fn properties() -> String {
    format!(
        "<rdf:Description rdf:about=\"\" xmlns:fx=\"{NAMESPACE}\">\
         <fx:DocumentType>INVOICE</fx:DocumentType>\
         <fx:DocumentFileName>{FILE_NAME}</fx:DocumentFileName>\
         <fx:Version>1.0</fx:Version>\
         <fx:ConformanceLevel>EN 16931</fx:ConformanceLevel>\
         </rdf:Description>"
    )
}

/// The PDF/A extension schema describing the `fx:` properties, as one
/// entry of the `pdfaExtension:schemas` bag.
fn schema() -> String {
    let property = |name: &str, description: &str| {
        format!(
            "<rdf:li rdf:parseType=\"Resource\"><pdfaProperty:name>{name}</pdfaProperty:name>\
             <pdfaProperty:valueType>Text</pdfaProperty:valueType>\
             <pdfaProperty:category>external</pdfaProperty:category>\
             <pdfaProperty:description>{description}</pdfaProperty:description></rdf:li>"
        )
    };
    format!(
        "<rdf:li rdf:parseType=\"Resource\">\
         <pdfaSchema:schema>Factur-X PDFA Extension Schema</pdfaSchema:schema>\
         <pdfaSchema:namespaceURI>{NAMESPACE}</pdfaSchema:namespaceURI>\
         <pdfaSchema:prefix>fx</pdfaSchema:prefix>\
         <pdfaSchema:property><rdf:Seq>{}{}{}{}</rdf:Seq></pdfaSchema:property></rdf:li>",
        property("DocumentFileName", "The name of the embedded XML document"),
        property("DocumentType", "The type of the hybrid document in capital letters, e.g. INVOICE or ORDER"),
        property("Version", "The actual version of the standard applying to the embedded XML document"),
        property("ConformanceLevel", "The conformance level of the embedded XML document"),
    )
}

/// The XMP packet with the Factur-X declaration: the schema joins the
/// extension schemas already declared (a property appears once per
/// resource), or brings its own bag when there is none.
fn declared(xmp: &str) -> Option<String> {
    const BAG_END: &str = "</rdf:Bag></pdfaExtension:schemas>";
    let rdf_end = xmp.rfind("</rdf:RDF>")?;
    let mut out = String::with_capacity(xmp.len() + 2048);
    match xmp.find(BAG_END) {
        Some(bag_end) => {
            out.push_str(&xmp[..bag_end]);
            out.push_str(&schema());
            out.push_str(&xmp[bag_end..rdf_end]);
        }
        None => {
            out.push_str(&xmp[..rdf_end]);
            out.push_str(&format!(
                "<rdf:Description rdf:about=\"\" xmlns:pdfaExtension=\"http://www.aiim.org/pdfa/ns/extension/\" \
                 xmlns:pdfaSchema=\"http://www.aiim.org/pdfa/ns/schema#\" \
                 xmlns:pdfaProperty=\"http://www.aiim.org/pdfa/ns/property#\">\
                 <pdfaExtension:schemas><rdf:Bag>{}</rdf:Bag></pdfaExtension:schemas></rdf:Description>",
                schema()
            ));
        }
    }
    out.push_str(&properties());
    out.push_str(&xmp[rdf_end..]);
    Some(out)
}

/// Why a PDF could not be declared or read as Factur-X.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum FacturXError {
    #[error("not a readable PDF")]
    NotPdf,
    #[error("the PDF has no XMP metadata")]
    NoMetadata,
    #[error("the PDF carries no invoice XML (factur-x.xml)")]
    NoInvoiceXml,
    #[error("the embedded XML is not UTF-8")]
    NotUtf8,
}

/// Adds the Factur-X declaration to the XMP metadata of a PDF/A-3 that
/// already carries `factur-x.xml` as an associated file.
pub fn declare(pdf: &[u8]) -> Result<Vec<u8>, FacturXError> {
    let mut doc = Document::load_mem(pdf).map_err(|_| FacturXError::NotPdf)?;
    let meta = doc
        .catalog()
        .and_then(|c| c.get(b"Metadata"))
        .and_then(Object::as_reference)
        .map_err(|_| FacturXError::NoMetadata)?;
    let stream = doc.get_object_mut(meta).and_then(Object::as_stream_mut).map_err(|_| FacturXError::NoMetadata)?;
    let xmp = String::from_utf8(stream.content.clone()).map_err(|_| FacturXError::NoMetadata)?;
    let patched = declared(&xmp).ok_or(FacturXError::NoMetadata)?;
    stream.set_content(patched.into_bytes());
    let mut out = Vec::with_capacity(pdf.len() + 2048);
    doc.save_to(&mut out).map_err(|_| FacturXError::NotPdf)?;
    Ok(out)
}

/// Largest embedded XML read (an e-invoice is a few hundred kilobytes).
const MAX_XML: usize = 16 * 1024 * 1024;

/// The invoice XML a Factur-X / ZUGFeRD PDF carries: the file named as
/// the specifications say, else the only XML attachment.
pub fn embedded_xml(pdf: &[u8]) -> Result<String, FacturXError> {
    let doc = Document::load_mem(pdf).map_err(|_| FacturXError::NotPdf)?;
    // Every file specification with an embedded stream, whatever name tree
    // or /AF array lists it.
    let mut files: Vec<(String, Vec<u8>)> = Vec::new();
    for object in doc.objects.values() {
        let Ok(spec) = object.as_dict() else { continue };
        let Ok(ef) = spec.get(b"EF").and_then(|ef| match ef {
            Object::Reference(id) => doc.get_object(*id).and_then(Object::as_dict),
            other => other.as_dict(),
        }) else {
            continue;
        };
        let name = [b"UF".as_slice(), b"F"]
            .iter()
            .find_map(|key| spec.get(key).ok().and_then(|o| lopdf::decode_text_string(o).ok()))
            .unwrap_or_default();
        let Some(stream) = ef
            .get(b"F")
            .or_else(|_| ef.get(b"UF"))
            .and_then(Object::as_reference)
            .and_then(|id| doc.get_object(id))
            .and_then(Object::as_stream)
            .ok()
        else {
            continue;
        };
        let data = if stream.dict.get(b"Filter").is_ok() {
            stream.decompressed_content_with_limit(MAX_XML).unwrap_or_default()
        } else {
            stream.content.clone()
        };
        files.push((name, data));
    }
    let named = |wanted: &str| files.iter().position(|(name, _)| name.eq_ignore_ascii_case(wanted));
    let chosen = named(FILE_NAME).or_else(|| OTHER_NAMES.iter().find_map(|n| named(n))).or_else(|| {
        let xml: Vec<usize> = (0..files.len()).filter(|&i| files[i].0.to_ascii_lowercase().ends_with(".xml")).collect();
        (xml.len() == 1).then(|| xml[0])
    });
    let (_, data) = chosen.map(|i| files.swap_remove(i)).ok_or(FacturXError::NoInvoiceXml)?;
    if data.is_empty() {
        return Err(FacturXError::NoInvoiceXml);
    }
    let text = String::from_utf8(data).map_err(|_| FacturXError::NotUtf8)?;
    Ok(text.trim_start_matches('\u{feff}').to_string())
}

/// Whether the bytes look like a PDF (its header within the first KiB, as
/// readers accept).
pub fn is_pdf(bytes: &[u8]) -> bool {
    bytes.len() >= 5 && bytes[..bytes.len().min(1024)].windows(5).any(|w| w == b"%PDF-")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_declaration_joins_the_existing_extension_schemas() {
        let xmp = "<x:xmpmeta><rdf:RDF><rdf:Description rdf:about=\"\"><pdfaExtension:schemas><rdf:Bag>\
                   <rdf:li>krilla</rdf:li></rdf:Bag></pdfaExtension:schemas></rdf:Description></rdf:RDF></x:xmpmeta>";
        let out = declared(xmp).unwrap();
        assert_eq!(out.matches("<pdfaExtension:schemas>").count(), 1, "{out}");
        assert!(out.contains("<rdf:li>krilla</rdf:li><rdf:li rdf:parseType=\"Resource\"><pdfaSchema:schema>Factur-X"));
        assert!(out.contains("<fx:DocumentFileName>factur-x.xml</fx:DocumentFileName>"));
        assert!(out.ends_with("</rdf:Description></rdf:RDF></x:xmpmeta>"));
        crate::einvoice::xml::parse(&out).expect("still well-formed XML");

        let bare = "<x:xmpmeta><rdf:RDF><rdf:Description rdf:about=\"\"/></rdf:RDF></x:xmpmeta>";
        let out = declared(bare).unwrap();
        assert_eq!(out.matches("<pdfaExtension:schemas>").count(), 1);
        assert!(declared("<nothing/>").is_none());
    }

    #[test]
    fn what_is_not_a_pdf_or_carries_no_xml_is_refused() {
        assert_eq!(embedded_xml(b"not a pdf"), Err(FacturXError::NotPdf));
        assert!(is_pdf(b"%PDF-1.7\n"));
        assert!(!is_pdf(b"<?xml version=\"1.0\"?>"));
    }
}
