// The metadata detector's rules: which fields name a generator or an editor, and how the
// structured records of generator front-ends (AUTOMATIC1111-style `parameters`, ComfyUI graphs,
// InvokeAI, NovelAI, Fooocus, ...) are recognised. Internal to the detect module.
#pragma once
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

namespace veritrace::detect::metadata {

// What kind of text a field holds decides which rules may fire on it: a tool field (Software,
// CreatorTool, Make, Model, ...) may name a generator by name; a caption or free-text field
// (ImageDescription, UserComment, dc:description, PNG Description, ...) is written by people and only
// a generator's structured record counts there (a caption that mentions "Midjourney" proves nothing).
enum class FieldKind { Tool, Caption, PngText, Other };

struct Field {
  std::string source;  // "EXIF", "XMP", "IPTC", "PNG tEXt", "PNG zTXt", "PNG iTXt", "JPEG comment"
  std::string key;     // exiv2 key ("Exif.Image.Software") or PNG keyword ("parameters")
  std::string value;   // UTF-8
  FieldKind kind = FieldKind::Other;
  std::string label() const;  // "EXIF Software", "PNG tEXt 'parameters'", "XMP CreatorTool"
};

// A generator (or AI editing) trace: decisive.
struct GeneratorTrace {
  std::string family;       // lower case, e.g. "sdxl"
  std::string tool;         // "a Stable Diffusion web UI (AUTOMATIC1111, Forge or SD.Next)"
  std::string field;        // Field::label() of the field that carries it
  std::string value;        // an excerpt of the value
  std::string sentence;     // one plain sentence
  bool composite = false;   // AI edit of a real picture -> Decision::Manipulated
  int strength = 1;         // 3: structured record, 2: digital source type, 1: a tool name
  nlohmann::json extra = nlohmann::json::object();  // model, steps, sampler, ...
};

// An editing-software trace: moderate, not decisive.
struct EditTrace {
  std::string tool;     // "Adobe Photoshop"
  std::string field;    // label of the field
  std::string value;    // the field's value (excerpt)
  double weight = 0.0;  // contribution to the raw score
  std::string sentence;
};

// Field kind for an exiv2 key or PNG keyword.
FieldKind kind_of_exiv2_key(std::string_view key);
FieldKind kind_of_png_keyword(std::string_view keyword);

// Every generator trace found in the fields (deduplicated by family and field).
std::vector<GeneratorTrace> find_generator_traces(const std::vector<Field>& fields);
// Editing-software traces named in tool fields and JPEG comments (one per tool).
std::vector<EditTrace> find_edit_traces(const std::vector<Field>& fields);

// IPTC digital source type of a value ("http://cv.iptc.org/newscodes/digitalsourcetype/X" or "X"),
// the code when it is one of the IPTC codes, else nullopt.
std::optional<std::string> digital_source_type_code(std::string_view value);

// A model or checkpoint name -> family ("flux1-dev.safetensors" -> "flux"); nullopt when unknown.
std::optional<std::string> family_from_model_name(std::string_view name);

// True when the text nests JSON brackets no deeper than max_depth (so a recursive parser is safe).
bool json_depth_ok(std::string_view text, int max_depth);

// Helpers shared with metadata.cpp.
std::string lower(std::string_view s);
std::string excerpt(std::string_view s, size_t max_chars);  // UTF-8-safe cut with "..."
// Case-insensitive search for `needle` (lower case) in `lowered` with word boundaries either side.
bool contains_word(std::string_view lowered, std::string_view needle);

}  // namespace veritrace::detect::metadata
