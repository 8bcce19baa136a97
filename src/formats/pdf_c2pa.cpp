// PDF: the C2PA manifest store is an embedded file stream whose file specification is an
// associated file of the document catalog (/AF) with /AFRelationship /C2PA_Manifest (C2PA spec,
// "Embedding manifests into PDF"); XMP is the catalog's /Metadata stream. Like c2pa-rs, the store
// is looked for in the newest catalog only: an incremental update that re-signs replaces it.
#include <string_view>

#include "formats/parsers.hpp"
#include "formats/pdf.hpp"
#include "formats/read_util.hpp"

namespace veritrace::formats::detail {

namespace {

using pdf::Object;

// The file specification dictionary of the C2PA manifest store, if the catalog names one.
std::optional<Object> c2pa_file_spec(pdf::Document& doc, const Object& catalog) {
  const Object* af_entry = catalog.get("AF");
  if (!af_entry) return std::nullopt;
  Object af = doc.resolve(*af_entry);
  if (!af.is(Object::Type::Array)) return std::nullopt;
  for (const Object& item : af.items) {
    Object spec = doc.resolve(item);
    const Object* relationship = spec.get("AFRelationship");
    if (!relationship) continue;
    if (doc.resolve(*relationship).is_name("C2PA_Manifest")) return spec;
  }
  return std::nullopt;
}

std::optional<std::string> xmp_url(pdf::Document& doc, const Object& catalog) {
  const Object* metadata = catalog.get("Metadata");
  if (!metadata || !metadata->is(Object::Type::Ref)) return std::nullopt;
  pdf::Indirect stream = doc.load(metadata->ref);
  if (!stream.is_stream) return std::nullopt;
  auto xmp = doc.stream_data(stream, kMaxXmpBytes);
  return xmp_provenance(std::string_view(reinterpret_cast<const char*>(xmp.data()), xmp.size()));
}

}  // namespace

C2paCarrier find_c2pa_pdf(const ByteSource& src) {
  pdf::Document doc(src);
  Object catalog = doc.resolve(*doc.trailer().get("Root"));
  if (!catalog.is(Object::Type::Dict)) malformed(src, "PDF", "the document catalog is not a dictionary");
  const Object* encrypt = doc.trailer().get("Encrypt");
  bool encrypted = encrypt && !encrypt->is(Object::Type::Null);

  C2paCarrier carrier;
  if (auto spec = c2pa_file_spec(doc, catalog)) {
    if (encrypted) throw Error(ErrorKind::Unsupported, src.name() + ": PDF: encrypted PDFs are not supported");
    Object ef = spec->get("EF") ? doc.resolve(*spec->get("EF")) : Object{};
    const Object* file = ef.get("F") ? ef.get("F") : ef.get("UF");
    if (!file || !file->is(Object::Type::Ref)) malformed(src, "PDF", "the C2PA file specification has no embedded file");
    pdf::Indirect stream = doc.load(file->ref);
    if (!stream.is_stream) malformed(src, "PDF", "the C2PA embedded file is not a stream");
    carrier.store = doc.stream_data(stream, kMaxStoreBytes);
    if (carrier.store.empty()) malformed(src, "PDF", "the C2PA embedded file is empty");
    // The data hash excludes the stream's bytes as they are in the file (encoded).
    carrier.carrier_ranges.push_back({stream.data_offset, stream.data_length});
  }
  if (!encrypted) {
    try {  // XMP is optional: a broken metadata stream only means there is no URL
      carrier.remote_url = xmp_url(doc, catalog);
    } catch (const Error&) {
    }
  }
  return carrier;
}

}  // namespace veritrace::formats::detail
