// Fitted constants of the `frequency` detector (src/detect/detectors/frequency.cpp).
// Written by tools/train/fit_frequency.py (command in docs/detection-frequency.md); do not edit by hand.
// Features: hf_ratio, vhf_ratio, slope, grid2, grid4, grid8, offgrid_peak, resid_rms, content_std, sat_mean, sat_std, clip_share.
// Subset used (weights of the others are 0): grid4, resid_rms, content_std, sat_mean, sat_std, clip_share.
// Trained on all of gan_dev; leave-one-group-out AUC 0.691 (CI 0.634-0.746).
#pragma once

namespace veritrace::detect::frequency_model {

inline constexpr int kFeatureCount = 12;
// Standardisation (x - mean) / scale, then logit = intercept + sum(weight * z).
inline constexpr double kMean[kFeatureCount] = {0, 0, 0, 0, 0.0539276445, 0, 0, 0.693663517, 1.62101168, 0.33035463, 0.171099467, 0.0461556236};
inline constexpr double kScale[kFeatureCount] = {1, 1, 1, 1, 0.156024518, 1, 1, 0.430274207, 0.168005321, 0.183318701, 0.0781845592, 0.0795687425};
inline constexpr double kWeight[kFeatureCount] = {0, 0, 0, 0, 0.635567595, 0, 0, 0.0465000591, 0.195547882, 0.386177144, -0.283776481, -0.800583701};
inline constexpr double kIntercept = -0.228538033;
// Logit at or above which the summary speaks of up-sampling traces: the 95% quantile of
// the gan_dev reals' scores.
inline constexpr double kFlagLogit = 0.817320304;

}  // namespace veritrace::detect::frequency_model
