// libFuzzer target: the whole metadata detector (exiv2 EXIF/XMP/IPTC, our PNG text reader, libjpeg
// quantisation tables, the rule table) on arbitrary bytes. The evidence must serialise as JSON.
#include <cstdint>
#include <memory>
#include <span>

#include "detect/detectors/detectors.hpp"
#include "veritrace/core.hpp"
#include "veritrace/media.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace veritrace;
  static const auto detector = detect::make_metadata_detector();
  detect::Sample s;
  s.path = "fuzz";
  s.bytes = std::span<const uint8_t>(data, size);
  try {
    s.format = media::sniff_image_format(*make_span_source(s.bytes));
  } catch (...) {
  }
  try {
    const detect::DetectorResult r = detector->run(s);
    (void)nlohmann::json(r.evidence.details).dump();
    (void)r.evidence.summary.size();
  } catch (const veritrace::Error&) {
    // allowed by the Detector contract
  }
  return 0;
}
