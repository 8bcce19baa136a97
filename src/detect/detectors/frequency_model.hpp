// Fitted constants of the `frequency` detector (src/detect/detectors/frequency.cpp).
// Written by tools/train/fit_frequency.py (command in docs/detection-frequency.md); do not edit by hand.
// Features: hf_ratio, vhf_ratio, slope, grid2, grid4, grid8, offgrid_peak, resid_rms, content_std, sat_mean, sat_std, clip_share.
// Subset used (weights of the others are 0): grid4, resid_rms, content_std, sat_mean, sat_std, clip_share.
// Trained on all of gan_dev; leave-one-group-out AUC 0.694 (CI 0.635-0.750).
#pragma once

namespace veritrace::detect::frequency_model {

inline constexpr int kFeatureCount = 12;
// Standardisation (x - mean) / scale, then logit = intercept + sum(weight * z).
inline constexpr double kMean[kFeatureCount] = {0, 0, 0, 0, 0.0535423672, 0, 0, 0.730796154, 1.64198008, 0.319799779, 0.169663886, 0.0429422379};
inline constexpr double kScale[kFeatureCount] = {1, 1, 1, 1, 0.153679227, 1, 1, 0.409966041, 0.140983246, 0.175018535, 0.0766352873, 0.0749410956};
inline constexpr double kWeight[kFeatureCount] = {0, 0, 0, 0, 0.679014415, 0, 0, -0.0511595993, -0.162776116, 0.347153697, -0.18480916, -0.644138275};
inline constexpr double kIntercept = -0.0316406984;
// Logit at or above which the summary speaks of up-sampling traces: the 95% quantile of
// the gan_dev reals' scores.
inline constexpr double kFlagLogit = 1.10304709;

}  // namespace veritrace::detect::frequency_model
