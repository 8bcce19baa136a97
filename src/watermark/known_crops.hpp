// Internal: the generators' dwtDct marks in a crop that moved the 8-pixel block grid (and so also
// the message phase: block n of the original carries bit n mod L, n counted in the original's
// rows). Tried: every grid offset (64), the original widths common for generators (their block
// row length mod L), every message phase, in the colour domain each generator embeds in. Only for
// messages longer than kShortMessageBits: for SD2's 32 bits the p-value floor is far above what
// this many hypotheses need. Slow (every grid offset is a full block analysis), so opt-in.
#pragma once
#include <string>
#include <vector>

#include "veritrace/media.hpp"
#include "watermark/known_stats.hpp"

namespace veritrace::watermark::known {

struct CropResult {
  MessageScore score;  // the best hypothesis (smallest log_p); empty bits when none was tried
  std::string variant;
};

// One result per generator message (the order of generator_messages()); *hypotheses is set to the
// number of hypotheses tried over all messages (the Bonferroni factor of this stage).
std::vector<CropResult> search_crops(const media::Image& image, const std::vector<std::vector<uint8_t>>& message_bits, double* hypotheses);

}  // namespace veritrace::watermark::known
