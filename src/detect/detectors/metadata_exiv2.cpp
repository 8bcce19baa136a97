#include "detect/detectors/metadata_exiv2.hpp"

#include <mutex>

#include "detect/png_text.hpp"

// exiv2 0.27 still spells its smart pointers std::auto_ptr: silence the deprecation here only.
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wdeprecated-declarations"
#include <exiv2/exiv2.hpp>

namespace veritrace::detect::metadata {
namespace {

constexpr size_t kMaxValueBytes = 64u << 10;  // per field
constexpr size_t kMaxFields = 4000;
constexpr size_t kMaxThumbnail = 1u << 20;

std::recursive_mutex& xmp_mutex() {
  static std::recursive_mutex m;
  return m;
}

void xmp_lock(void* data, bool lock) {
  auto* m = static_cast<std::recursive_mutex*>(data);
  if (lock) m->lock();
  else m->unlock();
}

void init_exiv2_once() {
  static std::once_flag once;
  std::call_once(once, [] {
    Exiv2::LogMsg::setLevel(Exiv2::LogMsg::mute);
    Exiv2::LogMsg::setHandler(nullptr);
    Exiv2::XmpParser::initialize(xmp_lock, &xmp_mutex());
  });
}

std::string clean(const std::string& s) { return png_text::sanitize_utf8(excerpt(s, kMaxValueBytes)); }

void add(ExivData& d, std::string source, std::string key, const std::string& value) {
  if (d.fields.size() >= kMaxFields) return;
  Field f;
  f.source = std::move(source);
  f.kind = kind_of_exiv2_key(key);
  f.key = std::move(key);
  f.value = clean(value);
  d.fields.push_back(std::move(f));
}

void read_exif(ExivData& d, const Exiv2::ExifData& exif) {
  d.exif_count = exif.count();
  for (const auto& datum : exif) {
    const std::string key = datum.key();
    if (key.rfind("Exif.Image.", 0) != 0 && key.rfind("Exif.Photo.", 0) != 0) continue;  // no maker notes, GPS
    if (datum.size() > static_cast<long>(kMaxValueBytes)) continue;
    const Exiv2::TypeId type = datum.typeId();
    std::string value;
    if (key == "Exif.Photo.UserComment") {
      const auto* cv = dynamic_cast<const Exiv2::CommentValue*>(&datum.value());
      value = cv ? cv->comment() : datum.toString();
    } else if (key.rfind("Exif.Image.XP", 0) == 0) {
      value = datum.print(&exif);  // UCS-2 decoded
    } else if (type == Exiv2::undefined || type == Exiv2::unsignedByte || type == Exiv2::signedByte) {
      continue;  // binary blobs (PrintIM, ...), not text
    } else {
      value = datum.toString();
    }
    add(d, "EXIF", key, value);
  }
  try {
    Exiv2::ExifThumbC thumb(exif);
    Exiv2::DataBuf buf = thumb.copy();
    if (buf.size_ > 0 && static_cast<size_t>(buf.size_) <= kMaxThumbnail && std::string(thumb.mimeType()) == "image/jpeg")
      d.thumbnail.assign(buf.pData_, buf.pData_ + buf.size_);
  } catch (...) {
  }
}

void read_xmp(ExivData& d, const Exiv2::XmpData& xmp) {
  d.xmp_count = xmp.count();
  for (const auto& datum : xmp) {
    std::string value;
    if (datum.typeId() == Exiv2::langAlt) {
      const auto* lv = dynamic_cast<const Exiv2::LangAltValue*>(&datum.value());
      if (lv && !lv->value_.empty()) {
        auto it = lv->value_.find("x-default");
        value = it != lv->value_.end() ? it->second : lv->value_.begin()->second;
      }
    } else {
      value = datum.toString();
    }
    add(d, "XMP", datum.key(), value);
  }
}

void read_iptc(ExivData& d, const Exiv2::IptcData& iptc) {
  d.iptc_count = iptc.count();
  for (const auto& datum : iptc) add(d, "IPTC", datum.key(), datum.toString());
}

}  // namespace

ExivData read_with_exiv2(std::span<const uint8_t> bytes) {
  ExivData d;
  if (bytes.size() > kMaxExiv2Bytes) {
    d.error = "larger than 64 MB: not handed to exiv2";
    return d;
  }
  if (bytes.empty()) {
    d.error = "empty";
    return d;
  }
  init_exiv2_once();
  d.attempted = true;
  try {
    Exiv2::Image::AutoPtr image = Exiv2::ImageFactory::open(bytes.data(), static_cast<long>(bytes.size()));
    if (!image.get()) {
      d.error = "exiv2 does not know this format";
      return d;
    }
    image->readMetadata();
    d.read = true;
    read_exif(d, image->exifData());
    read_xmp(d, image->xmpData());
    read_iptc(d, image->iptcData());
    const std::string comment = image->comment();
    if (!comment.empty()) {
      Field f;
      f.source = "JPEG comment";
      f.key = "COM";
      f.value = clean(comment);
      f.kind = FieldKind::Caption;
      d.fields.push_back(std::move(f));
    }
  } catch (const std::bad_alloc&) {
    d.error = "exiv2 ran out of memory";
  } catch (const std::exception& e) {
    d.error = png_text::sanitize_utf8(excerpt(e.what(), 300));
  } catch (...) {
    d.error = "exiv2 failed";
  }
  return d;
}

}  // namespace veritrace::detect::metadata

#pragma GCC diagnostic pop
