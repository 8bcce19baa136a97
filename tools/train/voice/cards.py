"""Writes models/voice/lfcc-gmm.md and models/voice/lcnn.md from results.json and the exported models.
  /usr/bin/python3 tools/train/voice/cards.py"""
import json
import os

import common as C

MODELS = os.path.join(C.ROOT, "models", "voice")
FAMS = C.FAMILIES


def pct(v):
    return "%.1f" % (100 * v)


def table(R):
    out = ["| held-out family | n fake | clean EER % [95% CI] | clean AUC [95% CI] | MP3 64k EER % | MP3 AUC "
           "| Opus 16k EER % | Opus AUC |", "|---|---|---|---|---|---|---|---|"]
    for f in FAMS:
        c, m, o = (R[k]["per_family"][f] for k in ("clean", "mp3", "opus"))
        out.append("| %s | %d | %s [%s, %s] | %.3f [%.3f, %.3f] | %s [%s, %s] | %.3f | %s [%s, %s] | %.3f |" % (
            f, c["n_fake"], pct(c["eer"]), pct(c["eer_ci"][0]), pct(c["eer_ci"][1]), c["auc"], c["auc_ci"][0],
            c["auc_ci"][1], pct(m["eer"]), pct(m["eer_ci"][0]), pct(m["eer_ci"][1]), m["auc"],
            pct(o["eer"]), pct(o["eer_ci"][0]), pct(o["eer_ci"][1]), o["auc"]))
    for tag in ["all", "without_espeak-ng"]:
        cells = []
        for k in ("clean", "mp3", "opus"):
            v = R[k]["overall"][tag]
            cells.append("%s [%s, %s]" % (pct(v["loao_mean_eer"]), pct(v["loao_mean_eer_ci"][0]),
                                          pct(v["loao_mean_eer_ci"][1])))
            cells.append("%.3f [%.3f, %.3f]" % (v["loao_mean_auc"], v["loao_mean_auc_ci"][0],
                                                v["loao_mean_auc_ci"][1]))
        out.append("| **mean over LOAO folds, %s** | | %s |" % (tag, " | ".join(cells)))
    for tag in ["all", "without_espeak-ng"]:
        cells = []
        for k in ("clean", "mp3", "opus"):
            v = R[k]["overall"][tag]
            cells.append("%s [%s, %s]" % (pct(v["pooled_eer"]), pct(v["pooled_eer_ci"][0]), pct(v["pooled_eer_ci"][1])))
            cells.append("%.3f" % v["pooled_auc"])
        out.append("| pooled OOF scores, %s | | %s |" % (tag, " | ".join(cells)))
    out.append("")
    out.append("Synthetic-only models (trained on the real dev clips of the other folds + griffinlim / lpc / "
               "stftgl / flite / festival / espeak-ng synthetic data; no dev fake at all), scored on every dev fake:")
    out.append("")
    out.append("| fakes | n | clean EER % [CI] | clean AUC [CI] | MP3 EER % | Opus EER % |")
    out.append("|---|---|---|---|---|---|")
    for f in FAMS + ["all", "without_espeak-ng"]:
        c, m, o = (R[k]["synthetic_only"][f] for k in ("clean", "mp3", "opus"))
        out.append("| %s | %d | %s [%s, %s] | %.3f [%.3f, %.3f] | %s | %s |" % (
            f, c["n_fake"], pct(c["eer"]), pct(c["eer_ci"][0]), pct(c["eer_ci"][1]), c["auc"], c["auc_ci"][0],
            c["auc_ci"][1], pct(m["eer"]), pct(o["eer"])))
    out.append("")
    out.append("False-positive rate of real clips per source (clean; threshold = EER threshold of each fold "
               "model on its own training dev clips, in-sample):")
    out.append("")
    out.append("| source_dataset | n | FPR clean | FPR MP3 | FPR Opus |")
    out.append("|---|---|---|---|---|")
    for sd, v in R["clean"]["real_fpr_by_source"].items():
        out.append("| %s | %d | %.2f | %.2f | %.2f |" % (sd, v["n"], v["fpr"], R["mp3"]["real_fpr_by_source"][sd]["fpr"],
                                                      R["opus"]["real_fpr_by_source"][sd]["fpr"]))
    return "\n".join(out)


def goals(R):
    e = R["clean"]["overall"]["all"]["loao_mean_eer"]
    a = R["clean"]["overall"]["all"]["loao_mean_auc"]
    m = R["mp3"]["overall"]["all"]["loao_mean_eer"]
    o = R["opus"]["overall"]["all"]["loao_mean_eer"]
    ok = lambda b: "met" if b else "**not met**"  # noqa: E731
    return ("Goals (mean over leave-one-attack-out folds, espeak-ng included): EER <= 5%%: %s (%s%%); "
            "AUC >= 0.95: %s (%.3f); EER <= 10%% after MP3 64k: %s (%s%%); after Opus 16k: %s (%s%%)." % (
                ok(e <= 0.05), pct(e), ok(a >= 0.95), a, ok(m <= 0.10), pct(m), ok(o <= 0.10), pct(o)))


COMMON_DATA = """## Training data

| data | origin | terms |
|---|---|---|
| 50 real dev clips (`shared/data/audio/dev`, label real) | LJSpeech via Coqui TTS test data, HiFi-GAN demo and WaveFake repos; VCTK via HiFi-GAN demo and biennviquiera/speech-classifier; one ASVspoof 2019 LA bona fide clip via IDRnD/antispoofing-features | LJSpeech public domain; VCTK CC BY 4.0 (0.92; older releases ODC-By); ASVspoof 2019 ODC-By 1.0 (attribution required); demo-page renders carry no licence of their own (see the dev README's terms table) |
| 49 fake dev clips | HiFi-GAN demo page (jik876/hifi-gan-demo: HiFi-GAN v1-v3, MelGAN, WaveGlow, WaveNet copy-synthesis; Tacotron 2 TTS), WaveFake test sample (RUB-SysSec/WaveFake, MIT; vocoder not stated), 4 local espeak-ng clips | redistribution terms of the demo renders are not stated; WaveFake repo MIT |
| griffinlim (150), lpc (50), stftgl (50) | our own resyntheses of the 50 real dev clips (`make_data.py`): mel spectrogram -> pseudo-inverse -> Griffin-Lim (3 mel settings); LPC source-filter (order 18, pulse train / noise excitation); linear-magnitude STFT with zero phase + 8 Griffin-Lim iterations | derived from the real clips above, same terms |
| flite (150), festival (30), espeak-ng (180) TTS | 30 sentences written for this project; flite 2.2 voices kal, kal16, awb, rms, slt; festival 2.5 with festvox-kallpc16k (kal_diphone; 3 duration stretches); espeak-ng 1.51 voices en-us, en-gb-x-rp, en-us+f3, en-029+m2, en-gb-scotland+f4, en-gb-x-gbclan | flite: CMU/Edinburgh free licence (BSD-like, permission to use, modify, distribute with notice); festival and the kal diphone voice: University of Edinburgh / Black & Lenzo free licence (use, modify, distribute; keep notice, mark modifications); espeak-ng: GPL-3.0-or-later (program; its output audio is not covered by the GPL) |

Every synthetic clip is resampled to 16 kHz with soxr, cut to 8 s and loudness-aligned like the dev set
(speech-active frames at -20 dBFS RMS, peak <= -1 dBFS, 16-bit). Every clip (real and fake alike) is
also used after codec round trips through the ffmpeg CLI (MP3 64 kbit/s, AAC 32 kbit/s, Opus 16 kbit/s,
8 kHz telephone band), with a random gain of +-2 dB and (30% of round trips, and one extra copy per clip)
coloured noise at 20-40 dB SNR.
"""

FAILURES = """## Known failure modes and limits

- 16 kHz only (the engine resamples); nothing above 8 kHz is seen, where many vocoder artefacts live.
- Trained and evaluated on English read speech (LJSpeech, VCTK), studio quality; one speaker dominates
  (LJ: 40 of 50 real clips). Other languages, spontaneous or far-field speech are untested.
- The attacks are old (2017-2020 vocoders, Tacotron 2, formant/diphone TTS). No voice conversion, no
  zero-shot cloning, no modern codec-LM TTS (VALL-E, XTTS, ElevenLabs-style) is in the data: expect
  much worse behaviour on those (see the synthetic-only rows for how far training transfers).
- Confounds in the dev set (README): fakes have a higher noise floor (median -45.8 vs -50.7 dB); the
  Coqui LJSpeech reals are cleaner than the HiFi-GAN demo's own ground truth, so part of any separation
  may be "source repo" rather than "synthetic". Check the per-source false-positive table. espeak-ng is
  trivially separable (digital-zero silence) and synthetic espeak-ng is in every training run, so the
  espeak-ng fold is not a real leave-out; figures are given with and without it.
- Observed in the cross-validation: both detectors flag the HiFi-GAN-demo ground-truth recordings, the
  16 kHz-native VCTK p225 clips and the ASVspoof clip far more often than the clean Coqui LJSpeech
  clips (see the false-positive table), i.e. they partly learn "recording chain / source" rather than
  "synthetic"; and the LCNN scores the Tacotron 2 end-to-end fakes as *more* real than the reals when
  those families are held out (AUC well below 0.5). Neither detector generalises to unseen vocoder
  families on this data; treat their scores as weak evidence only.
- The per-family numbers rest on 4-16 fakes each: confidence intervals are very wide.
- The thresholds are not calibrated probabilities; choose an operating point on your own data.
"""


def main():
    res = json.load(open(os.path.join(C.HERE, "results.json")))
    dets = res["detectors"]
    if "lfcc-gmm" in dets:
        R = dets["lfcc-gmm"]
        g = json.load(open(os.path.join(MODELS, "lfcc-gmm.json")))
        k = len(g["classes"]["bonafide"]["weights"])
        txt = """# lfcc-gmm: LFCC + two diagonal GMMs, synthetic-speech (cloned voice) detector

**What it detects.** Whether a 4 s speech segment is synthesised (neural vocoder / TTS / resynthesis)
rather than recorded, from its short-term spectral envelope. A classic ASVspoof-style baseline: two
Gaussian mixtures (bona fide, spoof), %d diagonal components each, over 60-dim LFCC frames.

**Input contract.** `tools/train/voice/features.py` (mirrored by src/audio): mono 16 kHz float audio,
4.0 s segments every 2.0 s (short clips tiled), `lfcc60()` (20 LFCC + deltas + delta-deltas, 401 frames),
`speech_mask()` frames only.

**Score.** Segment score = mean over speech frames x of log p_spoof(x) - log p_bonafide(x), each the full
mixture log-likelihood (logsumexp over k of log w_k + log N(x; mu_k, diag var_k)); 0 when a segment has no
speech frame. Higher = more likely spoofed. Clip score = mean of its segment scores (as in the evaluation).
`variances` are the diagonal variances (sklearn's covariances_, regularised with +1e-3).
Parity: `parity.segment_score` in lfcc-gmm.json is the score of segments(parity_waveform(16000))[0].

%s
## Retrain

```
/usr/bin/python3 tools/train/voice/make_data.py      # synthetic attacks + codec round trips -> /tmp/voice/data
/usr/bin/python3 tools/train/voice/voicelib.py       # feature cache -> /tmp/voice/feats
/usr/bin/python3 tools/train/voice/crossval.py gmm   # cross-validation folds
/usr/bin/python3 tools/train/voice/crossval.py report
/usr/bin/python3 tools/train/voice/train_final.py gmm   # -> models/voice/lfcc-gmm.json
/usr/bin/python3 tools/train/voice/cards.py
```
Seeds are fixed (GMM random_state 0, frame subsampling seed 99; 60000 bona fide frames, at most 3000
frames per spoof group: each dev family, each synthetic kind and TTS engine). The shipped model is trained
on all 99 dev clips + all synthetic data.

## Cross-validated figures (dev set, out-of-fold)

Protocol: %s

%s

%s

%s""" % (k, COMMON_DATA, " ".join(res["protocol"].split()).replace("(see results.json \"protocol\"): ", ""), goals(R), table(R), FAILURES)
        open(os.path.join(MODELS, "lfcc-gmm.md"), "w").write(txt)
    if "lcnn" in dets:
        R = dets["lcnn"]
        s = json.load(open(os.path.join(MODELS, "lcnn.json")))
        size = os.path.getsize(os.path.join(MODELS, "lcnn.onnx"))
        txt = """# lcnn: light CNN on LFCC maps, synthetic-speech (cloned voice) detector

**What it detects.** Whether a 4 s speech segment is synthesised (neural vocoder / TTS / resynthesis)
rather than recorded. A small LCNN (max-feature-map convolutions, %d parameters, ONNX %d bytes, opset 11)
over the whole 60 x 401 LFCC map, so it also sees temporal patterns the frame GMM cannot.

**Input contract.** `tools/train/voice/features.py`: mono 16 kHz, 4.0 s segments every 2.0 s (short
clips tiled), `lfcc60()` -> 60 x 401, normalised per coefficient row: input[0][0][y][x] =
(lfcc60[y][x] - mean[y]) / std[y] with `mean`, `std` from lcnn.json (computed on the training clips'
clean segments). Tensor [1,1,60,401] float32, NCHW.

**Output.** One logit (index 0), higher = more likely spoofed (sigmoid gives an uncalibrated
probability). Clip score = mean of its segment logits (as in the evaluation).

**Operators.** Conv, BatchNormalization, MaxPool, Relu, Sub, Add, GlobalAveragePool, Flatten, Gemm only
(max-feature-map = b + relu(a - b) with two convolutions), checked with OpenCV 4.6
`cv::dnn::readNetFromONNX` against torch (lcnn.parity.json `tensor_test`).

%s
## Retrain

```
/usr/bin/python3 tools/train/voice/make_data.py
/usr/bin/python3 tools/train/voice/voicelib.py
/usr/bin/python3 tools/train/voice/crossval.py lcnn
/usr/bin/python3 tools/train/voice/crossval.py report
/usr/bin/python3 tools/train/voice/train_final.py lcnn   # -> models/voice/lcnn.onnx, lcnn.json, lcnn.parity.json
/usr/bin/python3 tools/train/voice/cards.py
```
Training: seed 7, Adam (lr 1e-3, weight decay 1e-4, cosine schedule), batch 32, 10 epochs x 768
segments, BCE on the logit; sampling is class-balanced (half real) and, within spoof, balanced over
attack groups; each draw takes a random version of the segment (clean, noise, MP3, AAC, Opus, telephone).
The shipped net is trained on all 99 dev clips + all synthetic data (about 5 minutes on 2 CPU cores).

## Cross-validated figures (dev set, out-of-fold)

Protocol: %s

%s

%s

%s""" % (s.get("parameters", 0), size, COMMON_DATA, " ".join(res["protocol"].split()).replace("(see results.json \"protocol\"): ", ""), goals(R), table(R), FAILURES)
        open(os.path.join(MODELS, "lcnn.md"), "w").write(txt)


if __name__ == "__main__":
    main()
