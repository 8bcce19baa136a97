// The rule table of the metadata detector: generator and editor traces (docs/detection-metadata.md).
#include "detect/detectors/metadata_rules.hpp"

#include <algorithm>
#include <array>
#include <cctype>
#include <cstdlib>

namespace veritrace::detect::metadata {
namespace {

constexpr size_t kMaxJsonBytes = 8u << 20;  // structured records above this are not parsed
constexpr int kMaxJsonDepth = 64;

bool starts_with(std::string_view s, std::string_view p) { return s.substr(0, p.size()) == p; }
bool ends_with(std::string_view s, std::string_view p) {
  return s.size() >= p.size() && s.substr(s.size() - p.size()) == p;
}
bool is_alnum(char c) { return std::isalnum(static_cast<unsigned char>(c)) != 0; }

std::string trim(std::string_view s) {
  size_t a = 0, b = s.size();
  while (a < b && std::isspace(static_cast<unsigned char>(s[a]))) ++a;
  while (b > a && std::isspace(static_cast<unsigned char>(s[b - 1]))) --b;
  return std::string(s.substr(a, b - a));
}

// The part of an exiv2 key after its last '.' or '/' and namespace prefix: "Xmp.xmp.CreatorTool" ->
// "CreatorTool", "Xmp.xmpMM.History[1]/stEvt:softwareAgent" -> "softwareAgent".
std::string short_key(std::string_view key) {
  size_t p = key.find_last_of("./");
  std::string_view k = p == std::string_view::npos ? key : key.substr(p + 1);
  if (size_t c = k.find(':'); c != std::string_view::npos) k = k.substr(c + 1);
  return std::string(k);
}

std::optional<nlohmann::json> parse_json(std::string_view text) {
  if (text.size() > kMaxJsonBytes || !json_depth_ok(text, kMaxJsonDepth)) return std::nullopt;
  nlohmann::json j = nlohmann::json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded()) return std::nullopt;
  return j;
}

std::string json_string(const nlohmann::json& j, std::initializer_list<const char*> keys) {
  if (!j.is_object()) return {};
  for (const char* k : keys) {
    auto it = j.find(k);
    if (it != j.end() && it->is_string()) return it->get<std::string>();
  }
  return {};
}

std::optional<double> json_number(const nlohmann::json& j, std::initializer_list<const char*> keys) {
  if (!j.is_object()) return std::nullopt;
  for (const char* k : keys) {
    auto it = j.find(k);
    if (it != j.end() && it->is_number()) return it->get<double>();
    if (it != j.end() && it->is_string()) {
      const std::string s = it->get<std::string>();
      char* end = nullptr;
      const double v = std::strtod(s.c_str(), &end);
      if (end != s.c_str()) return v;
    }
  }
  return std::nullopt;
}

// First string value under one of `keys`, searched depth-first (the JSON depth was checked).
std::string find_string_key(const nlohmann::json& j, std::initializer_list<const char*> keys, int depth = 0) {
  if (depth > kMaxJsonDepth) return {};
  if (j.is_object()) {
    std::string s = json_string(j, keys);
    if (!s.empty()) return s;
    for (const auto& [k, v] : j.items()) {
      s = find_string_key(v, keys, depth + 1);
      if (!s.empty()) return s;
    }
  } else if (j.is_array()) {
    for (const auto& v : j) {
      std::string s = find_string_key(v, keys, depth + 1);
      if (!s.empty()) return s;
    }
  }
  return {};
}

std::string steps_phrase(const std::optional<double>& steps) {
  if (!steps || *steps <= 0 || *steps > 100000) return {};
  return std::to_string(static_cast<long>(*steps)) + " steps";
}

// "(model 'x', 30 steps)" from the non-empty parts.
std::string paren(std::initializer_list<std::string> parts) {
  std::string s;
  for (const auto& p : parts) {
    if (p.empty()) continue;
    s += s.empty() ? " (" : ", ";
    s += p;
  }
  return s.empty() ? s : s + ")";
}

std::string model_phrase(const std::string& model) {
  return model.empty() ? std::string() : "model '" + excerpt(model, 80) + "'";
}

GeneratorTrace make_trace(const Field& f, std::string family, std::string tool, int strength) {
  GeneratorTrace t;
  t.family = std::move(family);
  t.tool = std::move(tool);
  t.field = f.label();
  t.value = excerpt(f.value, 300);
  t.strength = strength;
  return t;
}

// ---- AUTOMATIC1111 / Forge / SD.Next / Fooocus (a1111 scheme) `parameters` text -------------------

// "Key: value, Key: "quoted, value", ..." -> pairs.
std::vector<std::pair<std::string, std::string>> split_a1111_line(std::string_view line) {
  std::vector<std::pair<std::string, std::string>> out;
  size_t i = 0;
  while (i < line.size() && out.size() < 200) {
    while (i < line.size() && (line[i] == ' ' || line[i] == ',')) ++i;
    const size_t colon = line.find(": ", i);
    if (colon == std::string_view::npos) break;
    std::string key = trim(line.substr(i, colon - i));
    size_t j = colon + 2;
    std::string value;
    if (j < line.size() && line[j] == '"') {
      const size_t close = line.find('"', j + 1);
      const size_t stop = close == std::string_view::npos ? line.size() : close;
      value = std::string(line.substr(j + 1, stop - j - 1));
      j = close == std::string_view::npos ? line.size() : close + 1;
      const size_t comma = line.find(',', j);
      j = comma == std::string_view::npos ? line.size() : comma + 1;
    } else {
      const size_t comma = line.find(", ", j);
      const size_t stop = comma == std::string_view::npos ? line.size() : comma;
      value = trim(line.substr(j, stop - j));
      j = comma == std::string_view::npos ? line.size() : comma + 2;
    }
    if (key.find(',') == std::string::npos && key.size() <= 64) out.emplace_back(std::move(key), std::move(value));
    i = j;
  }
  return out;
}

std::optional<GeneratorTrace> a1111_trace(const Field& f) {
  std::string_view text = f.value;
  size_t pos = std::string_view::npos;
  if (starts_with(text, "Steps: ")) pos = 0;
  else if (size_t p = text.rfind("\nSteps: "); p != std::string_view::npos) pos = p + 1;
  if (pos == std::string_view::npos) return std::nullopt;
  const size_t eol = text.find('\n', pos);
  const auto pairs = split_a1111_line(text.substr(pos, eol == std::string_view::npos ? text.size() - pos : eol - pos));
  static constexpr std::array<std::string_view, 9> kKnown = {"Sampler", "CFG scale", "Seed", "Size", "Model",
                                                             "Model hash", "Schedule type", "Denoising strength", "Version"};
  int known = 0;
  std::string steps, model, model_hash, sampler, size, version, denoise, mask_blur, hires, app;
  for (const auto& [k, v] : pairs) {
    if (std::find(kKnown.begin(), kKnown.end(), k) != kKnown.end()) ++known;
    if (k == "Steps") steps = v;
    else if (k == "Model") model = v;
    else if (k == "Model hash") model_hash = v;
    else if (k == "Sampler") sampler = v;
    else if (k == "Size") size = v;
    else if (k == "Version") version = v;
    else if (k == "Denoising strength") denoise = v;
    else if (k == "Mask blur") mask_blur = v;
    else if (k == "Hires upscale" || k == "Hires steps" || k == "Hires upscaler") hires = v;
    else if (k == "App") app = v;
  }
  if (steps.empty() || !std::isdigit(static_cast<unsigned char>(steps[0])) || known < 2) return std::nullopt;
  const bool fooocus = starts_with(lower(version), "fooocus");
  std::string family = family_from_model_name(model).value_or(fooocus ? "sdxl" : "stable-diffusion");
  std::string tool = fooocus ? "Fooocus"
                     : lower(app).find("sd.next") != std::string::npos ? "SD.Next (a Stable Diffusion web UI)"
                     : !version.empty() && version[0] == 'f' && version.size() > 1 && std::isdigit(static_cast<unsigned char>(version[1]))
                         ? "Stable Diffusion WebUI Forge"
                         : "a Stable Diffusion web UI (AUTOMATIC1111, Forge or SD.Next)";
  GeneratorTrace t = make_trace(f, family, tool, 3);
  const bool inpaint = !mask_blur.empty();
  const bool img2img = !denoise.empty() && hires.empty();
  t.composite = inpaint;
  t.extra = {{"steps", steps}, {"model", model}, {"model_hash", model_hash}, {"sampler", sampler},
             {"size", size}, {"version", version}, {"mode", inpaint ? "inpaint" : img2img ? "img2img" : "txt2img"}};
  const std::string what = f.source.rfind("PNG", 0) == 0 ? "'" + f.key + "' text" : f.label().substr(f.source.size() + 1) + " field";
  t.sentence = "The file's " + f.source + " " + what + " was written by " + tool +
               paren({model_phrase(model), model.empty() && !model_hash.empty() ? "model hash " + model_hash : "",
                      steps + " steps", inpaint ? "inpainting: part of a picture regenerated" : ""}) + ".";
  return t;
}

// ---- JSON records: Fooocus, SwarmUI (parameters JSON), InvokeAI, NovelAI --------------------------

std::optional<GeneratorTrace> parameters_json_trace(const Field& f) {
  if (f.value.empty() || f.value.front() != '{') return std::nullopt;
  auto j = parse_json(f.value);
  if (!j || !j->is_object()) return std::nullopt;
  const std::string version = json_string(*j, {"Version", "version"});
  if (starts_with(lower(version), "fooocus") || j->contains("fooocus_scheme") || j->contains("Fooocus V2 Expansion")) {
    const std::string model = json_string(*j, {"Base Model", "base_model"});
    GeneratorTrace t = make_trace(f, family_from_model_name(model).value_or("sdxl"), "Fooocus", 3);
    const auto steps = json_number(*j, {"Steps", "steps"});
    t.extra = {{"model", model}, {"version", version}};
    if (steps) t.extra["steps"] = *steps;
    t.sentence = "The file's " + f.label() + " record was written by Fooocus" + paren({model_phrase(model), steps_phrase(steps)}) + ".";
    return t;
  }
  if (auto it = j->find("sui_image_params"); it != j->end() && it->is_object()) {
    const std::string model = json_string(*it, {"model"});
    GeneratorTrace t = make_trace(f, family_from_model_name(model).value_or("stable-diffusion"), "SwarmUI", 3);
    const auto steps = json_number(*it, {"steps"});
    t.extra = {{"model", model}};
    if (steps) t.extra["steps"] = *steps;
    t.sentence = "The file's " + f.label() + " record was written by SwarmUI" + paren({model_phrase(model), steps_phrase(steps)}) + ".";
    return t;
  }
  return std::nullopt;
}

std::string family_of_invoke_base(std::string_view base) {
  const std::string b = lower(base);
  if (b == "sd-1" || b == "sd-2") return "stable-diffusion";
  if (starts_with(b, "sdxl")) return "sdxl";
  if (b == "sd-3") return "stable-diffusion-3";
  if (starts_with(b, "flux")) return "flux";
  return {};
}

std::optional<GeneratorTrace> invokeai_trace(const Field& f) {
  const std::string k = lower(f.key);
  if (k == "dream") {
    if (f.value.find(" -s") == std::string::npos && f.value.find(" -S") == std::string::npos) return std::nullopt;
    GeneratorTrace t = make_trace(f, "stable-diffusion", "InvokeAI (its early 'dream' command line)", 3);
    t.sentence = "The file's " + f.label() + " text is a command line of InvokeAI's 'dream' Stable Diffusion script.";
    return t;
  }
  if (k != "invokeai_metadata" && k != "invokeai_graph" && k != "sd-metadata") return std::nullopt;
  auto j = parse_json(f.value);
  if (!j || !(j->is_object() || j->is_array())) return std::nullopt;
  std::string model, base;
  if (j->is_object()) {
    if (auto it = j->find("model"); it != j->end()) {
      if (it->is_object()) {
        model = json_string(*it, {"model_name", "name"});
        base = json_string(*it, {"base_model", "base"});
      } else if (it->is_string()) {
        model = it->get<std::string>();
      }
    }
    if (model.empty()) model = json_string(*j, {"model_weights"});
  }
  if (base.empty()) base = find_string_key(*j, {"base_model", "base"});
  std::string family = family_of_invoke_base(base);
  if (family.empty()) family = family_from_model_name(model).value_or("stable-diffusion");
  const auto steps = j->is_object() ? json_number(*j, {"steps"}) : std::nullopt;
  GeneratorTrace t = make_trace(f, family, "InvokeAI", 3);
  t.extra = {{"model", model}, {"base_model", base}};
  if (steps) t.extra["steps"] = *steps;
  t.sentence = "The file's " + f.label() + " record was written by InvokeAI" +
               paren({model_phrase(model), base.empty() ? "" : "base '" + excerpt(base, 40) + "'", steps_phrase(steps)}) + ".";
  return t;
}

// ---- ComfyUI `prompt` (API graph) and `workflow` (editor graph) ----------------------------------

bool is_checkpoint_loader(std::string_view cls) {
  const std::string c = lower(cls);
  if (c.find("lora") != std::string::npos || c.find("vae") != std::string::npos || c.find("clip") != std::string::npos ||
      c.find("controlnet") != std::string::npos || c.find("upscale") != std::string::npos ||
      c.find("ipadapter") != std::string::npos || c.find("style") != std::string::npos)
    return false;
  return c.find("checkpoint") != std::string::npos || c.find("unet") != std::string::npos ||
         c.find("diffusion") != std::string::npos || c.find("modelloader") != std::string::npos ||
         c.find("model loader") != std::string::npos || c.find("gguf") != std::string::npos;
}

bool looks_like_model_file(std::string_view s) {
  const std::string l = lower(s);
  for (const char* ext : {".safetensors", ".ckpt", ".gguf", ".sft", ".pth", ".pt", ".bin"})
    if (ends_with(l, ext)) return true;
  return false;
}

void strings_of(const nlohmann::json& j, std::vector<std::string>& out, int depth = 0) {
  if (depth > 4 || out.size() > 64) return;
  if (j.is_string()) out.push_back(j.get<std::string>());
  else if (j.is_array() || j.is_object())
    for (const auto& v : j) strings_of(v, out, depth + 1);
}

std::optional<GeneratorTrace> comfyui_trace(const Field& f, std::string_view text) {
  auto j = parse_json(text);
  std::vector<std::string> ckpts, hints;  // checkpoint names; CLIP-loader type hints ("flux", "sd3")
  size_t nodes = 0;
  if (j && j->is_object() && j->contains("nodes") && (*j)["nodes"].is_array()) {  // workflow
    for (const auto& n : (*j)["nodes"]) {
      if (!n.is_object()) continue;
      const std::string type = json_string(n, {"type"});
      if (type.empty()) continue;
      ++nodes;
      std::vector<std::string> vals;
      if (auto it = n.find("widgets_values"); it != n.end()) strings_of(*it, vals);
      if (is_checkpoint_loader(type)) {
        for (const auto& v : vals)
          if (looks_like_model_file(v)) ckpts.push_back(v);
      } else if (lower(type).find("cliploader") != std::string::npos) {
        for (const auto& v : vals)
          if (!looks_like_model_file(v)) hints.push_back(v);
      }
    }
  } else if (j && j->is_object()) {  // prompt (API format)
    for (const auto& [id, n] : j->items()) {
      if (!n.is_object()) continue;
      const std::string cls = json_string(n, {"class_type"});
      if (cls.empty()) continue;
      ++nodes;
      auto in = n.find("inputs");
      if (in == n.end() || !in->is_object()) continue;
      if (is_checkpoint_loader(cls)) {
        for (const auto& [k, v] : in->items())
          if (v.is_string() && (looks_like_model_file(v.get<std::string>()) || k == "ckpt_name" || k == "unet_name"))
            ckpts.push_back(v.get<std::string>());
      } else if (lower(cls).find("cliploader") != std::string::npos) {
        const std::string t = json_string(*in, {"type"});
        if (!t.empty()) hints.push_back(t);
      }
    }
  } else if (f.key == "prompt" && text.find("\"class_type\"") != std::string_view::npos) {
    nodes = 1;  // unparsable (cut short?) but unmistakably a ComfyUI graph
    size_t p = 0;
    while ((p = text.find(".safetensors", p)) != std::string_view::npos && ckpts.size() < 16) {
      const size_t q = text.rfind('"', p);
      if (q != std::string_view::npos && p - q < 256) ckpts.emplace_back(text.substr(q + 1, p + 12 - q - 1));
      p += 12;
    }
  }
  if (nodes == 0) return std::nullopt;
  std::string family, model;
  for (const auto& c : ckpts)
    if (auto fam = family_from_model_name(c)) {
      family = *fam;
      model = c;
      break;
    }
  if (family.empty())
    for (const auto& h : hints)
      if (auto fam = family_from_model_name(h)) {
        family = *fam;
        break;
      }
  if (model.empty() && !ckpts.empty()) model = ckpts.front();
  if (family.empty()) family = "stable-diffusion";
  GeneratorTrace t = make_trace(f, family, "ComfyUI", 3);
  t.extra = {{"model", model}, {"nodes", nodes}, {"checkpoints", ckpts}};
  t.sentence = "The file's " + f.label() + " holds a ComfyUI " + (f.key == "workflow" ? "workflow" : "prompt graph") +
               paren({model_phrase(model), std::to_string(nodes) + " nodes"}) + ".";
  return t;
}

// ---- Midjourney: "... Job ID: 0123abcd-...." in the description ---------------------------------

bool is_uuid_at(std::string_view s, size_t p) {
  static constexpr int kGroups[5] = {8, 4, 4, 4, 12};
  for (int g = 0; g < 5; ++g) {
    for (int i = 0; i < kGroups[g]; ++i, ++p)
      if (p >= s.size() || !std::isxdigit(static_cast<unsigned char>(s[p]))) return false;
    if (g < 4) {
      if (p >= s.size() || s[p] != '-') return false;
      ++p;
    }
  }
  return true;
}

std::optional<GeneratorTrace> midjourney_trace(const Field& f) {
  const size_t p = f.value.find("Job ID: ");
  if (p == std::string::npos || !is_uuid_at(f.value, p + 8)) return std::nullopt;
  GeneratorTrace t = make_trace(f, "midjourney", "Midjourney", 3);
  t.extra = {{"job_id", f.value.substr(p + 8, 36)}};
  t.sentence = "The file's " + f.label() + " carries a Midjourney job id (" + f.value.substr(p + 8, 36) + ").";
  return t;
}

// ---- generator names in tool fields ---------------------------------------------------------------

struct NameRule {
  const char* pattern;  // lower case, matched with word boundaries
  const char* family;
  const char* tool;
};

constexpr NameRule kGeneratorNames[] = {
    {"midjourney", "midjourney", "Midjourney"},
    {"dall-e", "dall-e", "DALL-E"},
    {"dall\xc2\xb7" "e", "dall-e", "DALL-E"},
    {"dalle", "dall-e", "DALL-E"},
    {"dalle2", "dall-e", "DALL-E"},
    {"dalle3", "dall-e", "DALL-E"},
    {"bing image creator", "dall-e", "Bing Image Creator (DALL-E)"},
    {"image creator from designer", "dall-e", "Microsoft Designer (DALL-E)"},
    {"microsoft designer", "dall-e", "Microsoft Designer (DALL-E)"},
    {"chatgpt", "gpt-image", "ChatGPT (OpenAI image generation)"},
    {"gpt-4o", "gpt-image", "GPT-4o image generation"},
    {"gpt-image-1", "gpt-image", "OpenAI gpt-image-1"},
    {"openai", "dall-e", "OpenAI"},
    {"adobe firefly", "firefly", "Adobe Firefly"},
    {"firefly image", "firefly", "Adobe Firefly"},
    {"made with google ai", "imagen", "Google AI (Imagen / Gemini)"},
    {"google imagen", "imagen", "Google Imagen"},
    {"imagefx", "imagen", "Google ImageFX (Imagen)"},
    {"google gemini", "gemini", "Google Gemini"},
    {"nano banana", "gemini", "Google Gemini (Nano Banana)"},
    {"stable diffusion", "stable-diffusion", "Stable Diffusion"},
    {"stablediffusion", "stable-diffusion", "Stable Diffusion"},
    {"stable-diffusion-webui", "stable-diffusion", "a Stable Diffusion web UI"},
    {"stable diffusion xl", "sdxl", "Stable Diffusion XL"},
    {"sdxl", "sdxl", "Stable Diffusion XL"},
    {"automatic1111", "stable-diffusion", "AUTOMATIC1111 Stable Diffusion web UI"},
    {"sd.next", "stable-diffusion", "SD.Next"},
    {"dreamstudio", "stable-diffusion", "DreamStudio (Stability AI)"},
    {"stability ai", "stable-diffusion", "Stability AI"},
    {"comfyui", "stable-diffusion", "ComfyUI"},
    {"invokeai", "stable-diffusion", "InvokeAI"},
    {"draw things", "stable-diffusion", "Draw Things"},
    {"diffusionbee", "stable-diffusion", "DiffusionBee"},
    {"easy diffusion", "stable-diffusion", "Easy Diffusion"},
    {"fooocus", "sdxl", "Fooocus"},
    {"novelai", "novelai", "NovelAI"},
    {"flux.1", "flux", "FLUX.1"},
    {"flux1", "flux", "FLUX.1"},
    {"flux-1", "flux", "FLUX.1"},
    {"black forest labs", "flux", "Black Forest Labs (FLUX)"},
    {"ideogram", "ideogram", "Ideogram"},
    {"leonardo.ai", "leonardo", "Leonardo.Ai"},
    {"leonardo ai", "leonardo", "Leonardo.Ai"},
    {"nightcafe", "nightcafe", "NightCafe"},
    {"craiyon", "craiyon", "Craiyon"},
    {"deepfloyd", "deepfloyd-if", "DeepFloyd IF"},
    {"kandinsky 2", "kandinsky", "Kandinsky"},
    {"kandinsky 3", "kandinsky", "Kandinsky"},
    {"kandinsky-2", "kandinsky", "Kandinsky"},
    {"kandinsky-3", "kandinsky", "Kandinsky"},
    {"recraft", "recraft", "Recraft"},
    {"krea.ai", "krea", "Krea"},
    {"krea ai", "krea", "Krea"},
    {"runwayml", "runway", "Runway"},
    {"runway ml", "runway", "Runway"},
    {"playground ai", "playground", "Playground AI"},
    {"playgroundai", "playground", "Playground AI"},
    {"meta ai", "meta-ai", "Meta AI"},
    {"imagine with meta", "meta-ai", "Meta AI (Imagine)"},
    {"imagined with ai", "meta-ai", "Meta AI (Imagine)"},
    {"dreamina", "seedream", "Dreamina (ByteDance Seedream)"},
    {"seedream", "seedream", "ByteDance Seedream"},
    {"hunyuan", "hunyuan", "Tencent Hunyuan"},
    {"kling ai", "kling", "Kling AI"},
    {"starryai", "starryai", "StarryAI"},
    {"wombo", "wombo", "Wombo Dream"},
    {"artbreeder", "artbreeder", "Artbreeder"},
    {"stylegan", "stylegan", "StyleGAN"},
};

// AI edits of an existing picture: Decision::Manipulated.
constexpr NameRule kAiEditNames[] = {
    {"edited with google ai", "imagen", "Google AI editing (Magic Editor)"},
};

struct EditRule {
  const char* pattern;
  const char* tool;
  double weight;
};

// Ordered: the first rule that matches a field wins ("Adobe Photoshop Lightroom" is Lightroom).
constexpr EditRule kEditors[] = {
    {"lightroom", "Adobe Lightroom", 0.75},
    {"camera raw", "Adobe Camera Raw", 0.75},
    {"photoshop express", "Adobe Photoshop Express", 1.5},
    {"photoshop elements", "Adobe Photoshop Elements", 1.5},
    {"photoshop", "Adobe Photoshop", 1.5},
    {"gimp", "GIMP", 1.5},
    {"affinity photo", "Affinity Photo", 1.5},
    {"snapseed", "Snapseed", 1.5},
    {"pixelmator", "Pixelmator", 1.5},
    {"paint.net", "Paint.NET", 1.5},
    {"paintshop pro", "Corel PaintShop Pro", 1.5},
    {"paint shop pro", "Corel PaintShop Pro", 1.5},
    {"photoscape", "PhotoScape", 1.5},
    {"picsart", "PicsArt", 1.5},
    {"facetune", "Facetune", 1.5},
    {"faceapp", "FaceApp", 1.5},
    {"meitu", "Meitu", 1.5},
    {"luminar", "Luminar", 1.5},
    {"photopea", "Photopea", 1.5},
    {"pixlr", "Pixlr", 1.5},
    {"fotor", "Fotor", 1.5},
    {"befunky", "BeFunky", 1.5},
    {"krita", "Krita", 1.5},
    {"photodirector", "PhotoDirector", 1.5},
    {"airbrush", "AirBrush", 1.5},
    {"lightx", "LightX", 1.5},
    {"remini", "Remini (AI enhancement)", 1.5},
    {"topaz", "Topaz (AI enhancement)", 1.0},
    {"canva", "Canva", 1.0},
    {"vsco", "VSCO", 1.0},
    {"corel", "Corel", 1.0},
    {"on1 photo", "ON1 Photo", 1.0},
    {"inkscape", "Inkscape", 1.0},
    {"capture one", "Capture One", 0.75},
    {"darktable", "darktable", 0.75},
    {"rawtherapee", "RawTherapee", 0.75},
    {"dxo", "DxO", 0.75},
    {"acd systems", "ACDSee", 0.75},
    {"acdsee", "ACDSee", 0.75},
    {"picasa", "Picasa", 0.75},
    {"imagemagick", "ImageMagick (a converter)", 0.25},
    {"graphicsmagick", "GraphicsMagick (a converter)", 0.25},
};

}  // namespace

std::string lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

std::string excerpt(std::string_view s, size_t max_chars) {
  if (s.size() <= max_chars) return std::string(s);
  size_t cut = max_chars;
  while (cut > 0 && (static_cast<unsigned char>(s[cut]) & 0xC0) == 0x80) --cut;  // not inside a UTF-8 sequence
  return std::string(s.substr(0, cut)) + "...";
}

bool contains_word(std::string_view lowered, std::string_view needle) {
  if (needle.empty()) return false;
  size_t p = 0;
  while ((p = lowered.find(needle, p)) != std::string_view::npos) {
    const bool left = p == 0 || !is_alnum(lowered[p - 1]);
    const size_t e = p + needle.size();
    const bool right = e >= lowered.size() || !is_alnum(lowered[e]);
    if (left && right) return true;
    ++p;
  }
  return false;
}

bool json_depth_ok(std::string_view text, int max_depth) {
  int depth = 0;
  bool in_string = false, escape = false;
  for (char c : text) {
    if (in_string) {
      if (escape) escape = false;
      else if (c == '\\') escape = true;
      else if (c == '"') in_string = false;
      continue;
    }
    if (c == '"') in_string = true;
    else if (c == '[' || c == '{') {
      if (++depth > max_depth) return false;
    } else if (c == ']' || c == '}') {
      --depth;
    }
  }
  return true;
}

std::string Field::label() const {
  if (source.rfind("PNG", 0) == 0) return source + " '" + key + "'";
  if (source == "JPEG comment") return "JPEG comment";
  return source + " " + short_key(key);
}

FieldKind kind_of_exiv2_key(std::string_view key) {
  static constexpr std::array<std::string_view, 14> kTool = {
      "Exif.Image.Software", "Exif.Image.Make", "Exif.Image.Model", "Exif.Image.HostComputer",
      "Exif.Image.ProcessingSoftware", "Xmp.xmp.CreatorTool", "Xmp.tiff.Software", "Xmp.tiff.Make",
      "Xmp.tiff.Model", "Iptc.Application2.Program", "Iptc.Application2.Credit", "Xmp.photoshop.Credit",
      "Xmp.iptcExt.AISystemUsed", "Xmp.plus.ImageCreator"};
  static constexpr std::array<std::string_view, 13> kCaption = {
      "Exif.Image.ImageDescription", "Exif.Photo.UserComment", "Exif.Image.XPComment", "Exif.Image.XPTitle",
      "Exif.Image.XPSubject", "Xmp.dc.description", "Xmp.dc.title", "Xmp.exif.UserComment",
      "Iptc.Application2.Caption", "Iptc.Application2.Headline", "Xmp.photoshop.Headline",
      "Xmp.tiff.ImageDescription", "Exif.Image.XPKeywords"};
  if (std::find(kTool.begin(), kTool.end(), key) != kTool.end()) return FieldKind::Tool;
  if (std::find(kCaption.begin(), kCaption.end(), key) != kCaption.end()) return FieldKind::Caption;
  if (key.find("stEvt:softwareAgent") != std::string_view::npos) return FieldKind::Tool;
  return FieldKind::Other;
}

FieldKind kind_of_png_keyword(std::string_view keyword) {
  const std::string k = lower(keyword);
  if (k == "software" || k == "source") return FieldKind::Tool;
  if (k == "comment" || k == "description" || k == "title" || k == "author" || k == "disclaimer" ||
      k == "warning" || k == "copyright")
    return FieldKind::Caption;
  return FieldKind::PngText;
}

std::optional<std::string> digital_source_type_code(std::string_view value) {
  static constexpr std::array<std::string_view, 17> kCodes = {
      "trainedAlgorithmicMedia", "compositeWithTrainedAlgorithmicMedia", "algorithmicMedia", "compositeSynthetic",
      "algorithmicallyEnhanced", "digitalCapture", "negativeFilm", "positiveFilm", "print", "minorHumanEdits",
      "humanEdits", "compositeCapture", "composite", "dataDrivenMedia", "digitalArt", "virtualRecording",
      "screenCapture"};
  std::string v = trim(value);
  if (size_t p = v.find_last_of('/'); p != std::string::npos) v = v.substr(p + 1);
  for (auto c : kCodes)
    if (lower(v) == lower(c)) return std::string(c);
  if (lower(v) == "digitalcreation") return std::string("digitalCreation");
  return std::nullopt;
}

std::optional<std::string> family_from_model_name(std::string_view name) {
  const std::string n = lower(name);
  if (n.empty()) return std::nullopt;
  auto has = [&](std::string_view s) { return n.find(s) != std::string::npos; };
  if (has("flux")) return "flux";
  if (has("sd3") || has("sd_3") || has("sd-3") || has("stable-diffusion-3") || has("stable_diffusion_3") ||
      has("stablediffusion3"))
    return "stable-diffusion-3";
  if (has("cascade")) return "stable-cascade";
  if (has("hunyuan")) return "hunyuan";
  if (has("kolors")) return "kolors";
  if (has("pixart")) return "pixart";
  if (has("hidream")) return "hidream";
  if (has("qwen-image") || has("qwen_image")) return "qwen-image";
  if (has("auraflow")) return "auraflow";
  if (has("sdxl") || has("sd_xl") || has("sd-xl") || has("xl") || has("pony") || has("illustrious") ||
      has("noobai") || has("playground-v2"))
    return "sdxl";
  if (has("sd15") || has("sd1.") || has("sd-1") || has("sd_1") || has("v1-5") || has("v1-4") || has("sd2") ||
      has("sd-2") || has("v2-1") || has("768-v") || has("stable-diffusion") || has("stable_diffusion") ||
      has("stablediffusion") || has("dreamshaper") || has("realisticvision") || has("deliberate") ||
      has("anything-v") || has("anythingv"))
    return "stable-diffusion";
  return std::nullopt;
}

std::vector<GeneratorTrace> find_generator_traces(const std::vector<Field>& fields) {
  std::vector<GeneratorTrace> out;
  auto add = [&](GeneratorTrace t) {
    for (const auto& o : out)
      if (o.family == t.family && o.field == t.field && o.composite == t.composite) return;
    if (out.size() < 16) out.push_back(std::move(t));
  };
  // NovelAI: PNG Software "NovelAI" with its Source (model) and Comment (JSON settings).
  const Field* novel_source = nullptr;
  const Field* novel_comment = nullptr;
  for (const auto& f : fields) {
    if (f.source.rfind("PNG", 0) != 0) continue;
    if (lower(f.key) == "source") novel_source = &f;
    if (lower(f.key) == "comment") novel_comment = &f;
  }
  for (const auto& f : fields) {
    const std::string lk = lower(f.key);
    const bool png = f.source.rfind("PNG", 0) == 0;
    if (png && lk == "software" && lower(trim(f.value)) == "novelai") {
      GeneratorTrace t = make_trace(f, "novelai", "NovelAI", 3);
      std::string model = novel_source ? excerpt(novel_source->value, 120) : std::string();
      std::optional<double> steps;
      if (novel_comment)
        if (auto j = parse_json(novel_comment->value)) steps = json_number(*j, {"steps"});
      t.extra = {{"model", model}};
      if (steps) t.extra["steps"] = *steps;
      t.sentence = "The file's PNG 'Software' text says it was made by NovelAI" +
                   paren({model_phrase(model), steps_phrase(steps)}) + ".";
      add(std::move(t));
      continue;
    }
    // Structured records.
    if (png && lk == "parameters") {
      if (auto t = a1111_trace(f)) add(std::move(*t));
      else if (auto t2 = parameters_json_trace(f)) add(std::move(*t2));
    } else if (f.kind == FieldKind::Caption) {
      if (auto t = a1111_trace(f)) add(std::move(*t));
    }
    if (png && (lk == "prompt" || lk == "workflow"))
      if (auto t = comfyui_trace(f, f.value)) add(std::move(*t));
    if (f.source == "EXIF")  // ComfyUI's WebP/animated saves: "prompt:{...}" / "workflow:{...}" in Make/Model
      for (std::string_view pre : {"prompt:", "workflow:"})
        if (starts_with(f.value, pre) && f.value.size() > pre.size() && f.value[pre.size()] == '{') {
          Field g = f;
          g.key = std::string(pre.substr(0, pre.size() - 1));
          if (auto t = comfyui_trace(g, std::string_view(f.value).substr(pre.size()))) {
            t->field = f.label();
            add(std::move(*t));
          }
        }
    if (png) {
      if (auto t = invokeai_trace(f)) add(std::move(*t));
      if (lk == "fooocus_scheme") {
        GeneratorTrace t = make_trace(f, "sdxl", "Fooocus", 3);
        t.sentence = "The file's " + f.label() + " text marks a Fooocus (Stable Diffusion XL) image.";
        add(std::move(t));
      }
      if (lk == "use_stable_diffusion_model") {
        GeneratorTrace t = make_trace(f, family_from_model_name(f.value).value_or("stable-diffusion"), "Easy Diffusion", 3);
        t.extra = {{"model", f.value}};
        t.sentence = "The file's " + f.label() + " text was written by Easy Diffusion" + paren({model_phrase(f.value)}) + ".";
        add(std::move(t));
      }
    }
    if (f.kind == FieldKind::Caption || f.kind == FieldKind::PngText)
      if (auto t = midjourney_trace(f)) add(std::move(*t));
    // IPTC digital source type (XMP Iptc4xmpExt:DigitalSourceType, or the URI in any field).
    const bool dst_key = ends_with(lower(f.key), "digitalsourcetype");
    if (dst_key || f.value.find("digitalsourcetype/") != std::string::npos) {
      size_t start = 0;
      while (start <= f.value.size()) {
        size_t end = f.value.find_first_of(", ", start);
        if (end == std::string::npos) end = f.value.size();
        const std::string part = f.value.substr(start, end - start);
        start = end + 1;
        if (!dst_key && part.find("digitalsourcetype/") == std::string::npos) continue;
        auto code = digital_source_type_code(part);
        if (!code) continue;
        const bool trained = *code == "trainedAlgorithmicMedia", algo = *code == "algorithmicMedia";
        const bool comp = *code == "compositeWithTrainedAlgorithmicMedia" || *code == "compositeSynthetic";
        if (!trained && !algo && !comp) continue;
        GeneratorTrace t = make_trace(f, "", "", 2);
        t.composite = comp;
        t.extra = {{"digital_source_type", *code}};
        t.sentence = "The file's " + f.label() + " says '" + *code + "': " +
                     (trained  ? "made by a generative AI model."
                      : algo   ? "made by an algorithm, not captured by a camera."
                      : *code == "compositeSynthetic" ? "a composite that includes synthetic elements."
                               : "a picture edited with generative AI (a composite).");
        add(std::move(t));
      }
    }
    if (f.kind == FieldKind::Tool && ends_with(f.key, "AISystemUsed") && !trim(f.value).empty()) {
      GeneratorTrace t = make_trace(f, family_from_model_name(f.value).value_or(""), trim(f.value), 2);
      for (const auto& r : kGeneratorNames)
        if (t.family.empty() && contains_word(lower(f.value), r.pattern)) t.family = r.family;
      t.sentence = "The file's " + f.label() + " field names the AI system '" + excerpt(trim(f.value), 80) + "'.";
      add(std::move(t));
      continue;
    }
    // Generator names in tool fields (Software, CreatorTool, Make, Model, Credit, history agents).
    if (f.kind == FieldKind::Tool) {
      const std::string lv = lower(f.value);
      bool matched = false;
      for (const auto& r : kAiEditNames)
        if (contains_word(lv, r.pattern)) {
          GeneratorTrace t = make_trace(f, r.family, r.tool, 1);
          t.composite = true;
          t.sentence = "The file's " + f.label() + " field says '" + excerpt(trim(f.value), 80) + "': edited with " + r.tool + ".";
          add(std::move(t));
          matched = true;
          break;
        }
      // The most specific (longest) matching name wins: "Stable Diffusion XL" over "Stable Diffusion".
      const NameRule* best = nullptr;
      for (const auto& r : kGeneratorNames)
        if (!matched && contains_word(lv, r.pattern) && (!best || std::string_view(r.pattern).size() > std::string_view(best->pattern).size()))
          best = &r;
      if (best) {
        GeneratorTrace t = make_trace(f, best->family, best->tool, 1);
        t.sentence = "The file's " + f.label() + " field names " + best->tool + " ('" + excerpt(trim(f.value), 80) + "').";
        add(std::move(t));
      }
    }
  }
  std::stable_sort(out.begin(), out.end(), [](const auto& a, const auto& b) { return a.strength > b.strength; });
  return out;
}

std::vector<EditTrace> find_edit_traces(const std::vector<Field>& fields) {
  std::vector<EditTrace> out;
  for (const auto& f : fields) {
    if (f.kind != FieldKind::Tool && f.source != "JPEG comment") continue;
    const std::string lv = lower(f.value);
    for (const auto& r : kEditors) {
      if (!contains_word(lv, r.pattern)) continue;
      if (std::none_of(out.begin(), out.end(), [&](const EditTrace& e) { return e.tool == r.tool; })) {
        EditTrace e;
        e.tool = r.tool;
        e.field = f.label();
        e.value = excerpt(trim(f.value), 200);
        e.weight = r.weight;
        e.sentence = "The file's " + f.label() + " names " + r.tool + " ('" + excerpt(trim(f.value), 80) + "')" +
                     (r.weight >= 1.0 ? ", an image editor." : r.weight >= 0.5 ? ", a photo developer or organiser." : ".");
        out.push_back(std::move(e));
      }
      break;
    }
    if (out.size() >= 16) break;
  }
  return out;
}

}  // namespace veritrace::detect::metadata
