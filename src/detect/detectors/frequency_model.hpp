// Fitted constants of the `frequency` detector (src/detect/detectors/frequency.cpp).
// Written by tools/train/fit_frequency.py (command in docs/detection-frequency.md); do not edit by hand.
// Features: hf_ratio, vhf_ratio, slope, grid2, grid4, grid8, offgrid_peak, resid_rms, content_std.
// Subset used (weights of the others are 0): grid4, resid_rms, content_std.
// Trained on all of gan_dev; leave-one-group-out AUC 0.684 (CI 0.626-0.739).
#pragma once

namespace veritrace::detect::frequency_model {

inline constexpr int kFeatureCount = 9;
// Standardisation (x - mean) / scale, then logit = intercept + sum(weight * z).
inline constexpr double kMean[kFeatureCount] = {0, 0, 0, 0, 0.059366159, 0, 0, 0.662786472, 1.70482873};
inline constexpr double kScale[kFeatureCount] = {1, 1, 1, 1, 0.157542611, 1, 1, 0.367079262, 0.135176865};
inline constexpr double kWeight[kFeatureCount] = {0, 0, 0, 0, 0.662266483, 0, 0, -0.196289053, -0.643044845};
inline constexpr double kIntercept = 0.020817793;
// Logit at or above which the summary speaks of up-sampling traces: the 95% quantile of
// the gan_dev reals' scores.
inline constexpr double kFlagLogit = 1.14837343;

}  // namespace veritrace::detect::frequency_model
