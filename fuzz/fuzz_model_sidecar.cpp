// libFuzzer target: the learned-detector sidecar parser (models/<name>.json, --model FILE.json).
// Any input either parses into a spec that satisfies the contract's bounds or throws Error(Usage).
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "detect/learned/model_spec.hpp"
#include "veritrace/core.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace veritrace::detect::learned;
  try {
    const ModelSpec s = parse_model_spec(std::string_view(reinterpret_cast<const char*>(data), size), "fuzz.json");
    if (s.width < 8 || s.width > 4096 || s.height < 8 || s.height > 4096) std::abort();
    if (s.max_crops < 1 || s.max_crops > 9 || s.output_index < 0 || !(s.scale > 0)) std::abort();
    for (double v : s.std)
      if (!(v > 0)) std::abort();
    if (s.name.empty() || s.name.size() > 40) std::abort();
    // The crop grid stays inside any image it is given and within max_crops.
    for (int w : {1, 8, 300, 5000})
      for (int h : {1, 9, 260, 4000}) {
        const auto rects = crop_grid(w, h, s);
        if (static_cast<int>(rects.size()) > s.max_crops) std::abort();
        for (const auto& r : rects)
          if (r.x < 0 || r.y < 0 || r.x + r.width > w || r.y + r.height > h) std::abort();
      }
  } catch (const veritrace::Error& e) {
    if (e.kind() != veritrace::ErrorKind::Usage) std::abort();
  }
  return 0;
}
