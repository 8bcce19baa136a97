// Signing: assertions -> sized store -> layout in the container -> hard binding over the exact
// output bytes -> claim -> COSE signature -> output streamed once to a temporary file.
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>

#include "binding/hard_binding.hpp"
#include "binding/hash_plan.hpp"
#include "c2pa/builder.hpp"
#include "cose/sign.hpp"
#include "formats/embed.hpp"
#include "thumbnail/thumbnail.hpp"
#include "veritrace/c2pa.hpp"
#include "veritrace/c2pa_sign.hpp"

namespace veritrace::c2pa {

namespace {

constexpr const char* kVersion = "0.1.0";
constexpr uint64_t kParallelHashThreshold = 64u << 20;  // below this a thread costs more than it saves
constexpr const char* kC2paBmffUuid = "\xd8\xfe\xc3\xd6\x1b\x0e\x48\x3c\x92\x97\x58\x28\x87\x7e\xc4\x81";

std::string source_type_uri(const std::string& term) {
  if (term.empty() || term.find("://") != std::string::npos) return term;
  return std::string(kIptcSourceTypeBase) + term;
}

cbor::Value software_agent() {
  cbor::Value a = cbor::Value::make_map();
  a.set("name", cbor::Value::from_text("veritrace"));
  a.set("version", cbor::Value::from_text(kVersion));
  return a;
}

// Encodes `value` after setting its "pad" byte string so the encoding is exactly `target` bytes.
std::vector<uint8_t> encode_padded(cbor::Value value, size_t target) {
  auto set_pad = [&](size_t n) {
    for (size_t i = 0; i + 1 < value.items.size(); i += 2) {
      if (value.items[i].is_text() && value.items[i].text == "pad") value.items[i + 1] = cbor::Value::from_bytes(std::vector<uint8_t>(n, 0));
    }
  };
  set_pad(0);
  size_t base = cbor::encode(value).size();
  if (base > target) throw Error(ErrorKind::Internal, "hard binding grew beyond its reserved size");
  for (size_t n = target - base; ; --n) {  // the pad's head may grow by a byte or two
    set_pad(n);
    auto bytes = cbor::encode(value);
    if (bytes.size() == target) return bytes;
    if (n == 0) break;
  }
  throw Error(ErrorKind::Internal, "cannot pad the hard binding to its reserved size");
}

cbor::Value data_hash_value(const std::vector<ByteRange>& exclusions, const std::vector<uint8_t>& hash) {
  cbor::Value ex = cbor::Value::make_array();
  for (const auto& r : exclusions) {
    cbor::Value e = cbor::Value::make_map();
    e.set("start", cbor::Value::from_uint(r.offset));
    e.set("length", cbor::Value::from_uint(r.length));
    ex.push(std::move(e));
  }
  cbor::Value v = cbor::Value::make_map();
  v.set("exclusions", std::move(ex));
  v.set("name", cbor::Value::from_text("jumbf manifest"));
  v.set("alg", cbor::Value::from_text("sha256"));
  v.set("hash", cbor::Value::from_bytes(hash));
  v.set("pad", cbor::Value::from_bytes({}));
  return v;
}

cbor::Value bmff_hash_value(const std::vector<uint8_t>& hash) {
  cbor::Value ex = cbor::Value::make_array();
  cbor::Value uuid_ex = cbor::Value::make_map();
  uuid_ex.set("xpath", cbor::Value::from_text("/uuid"));
  cbor::Value data = cbor::Value::make_array();
  cbor::Value match = cbor::Value::make_map();
  match.set("offset", cbor::Value::from_uint(8));
  match.set("value", cbor::Value::from_bytes(std::vector<uint8_t>(kC2paBmffUuid, kC2paBmffUuid + 16)));
  data.push(std::move(match));
  uuid_ex.set("data", std::move(data));
  ex.push(std::move(uuid_ex));
  for (const char* path : {"/ftyp", "/mfra", "/free", "/skip"}) {
    cbor::Value e = cbor::Value::make_map();
    e.set("xpath", cbor::Value::from_text(path));
    ex.push(std::move(e));
  }
  cbor::Value v = cbor::Value::make_map();
  v.set("exclusions", std::move(ex));
  v.set("alg", cbor::Value::from_text("sha256"));
  v.set("hash", cbor::Value::from_bytes(hash));
  v.set("name", cbor::Value::from_text("jumbf manifest"));
  return v;
}

// Thumbnail labels as c2pa-rs 0.90.1 writes them: v2 claims "c2pa.thumbnail.claim" /
// "c2pa.thumbnail.ingredient" (the format is in the embedded file's media type), v1 claims with the
// format appended ("c2pa.thumbnail.claim.jpeg").
std::string thumbnail_label(const std::string& base, const std::string& media_type, bool v2) {
  if (v2) return base;
  if (media_type == "image/jpeg") return base + ".jpeg";
  if (media_type == "image/png") return base + ".png";
  if (media_type == "image/svg+xml") return base + ".svg";
  return base;
}

struct Parent {
  std::unique_ptr<ByteSource> own_source;  // when read from a file
  ManifestStore store;
  std::string title;
  std::string format;
  nlohmann::json validation_results;
  std::optional<thumbnail::Thumbnail> thumbnail;  // made from the file when it has no claim thumbnail
  thumbnail::ThumbnailOutcome thumbnail_outcome;
};

bool has_claim_thumbnail(const ManifestStore& store) {
  if (const Manifest* active = store.active()) {
    for (const auto& a : active->assertions) {
      if (a.kind == AssertionKind::EmbeddedFile && a.label.rfind("c2pa.thumbnail.claim", 0) == 0) return true;
    }
  }
  return false;
}

class OutputFile {
 public:
  // A temporary file next to `target`; removed unless commit() renames it into place.
  explicit OutputFile(const std::string& target) : target_(target) {
    std::filesystem::path dir = std::filesystem::path(target).parent_path();
    if (dir.empty()) dir = ".";
    tmp_ = (dir / ("." + std::filesystem::path(target).filename().string() + ".vt-XXXXXX")).string();
    fd_ = ::mkstemp(tmp_.data());
    if (fd_ < 0) throw Error(ErrorKind::Output, target + ": cannot create the output: " + std::strerror(errno));
  }
  ~OutputFile() {
    if (fd_ >= 0) ::close(fd_);
    if (!committed_) ::unlink(tmp_.c_str());
  }
  OutputFile(const OutputFile&) = delete;
  OutputFile& operator=(const OutputFile&) = delete;
  int fd() const { return fd_; }
  // `durable`: fsync before the rename (used when the output replaces the input, where a power
  // loss must not leave neither version). Otherwise, like cp, the rename alone makes the file
  // appear whole or not at all to other processes.
  void commit(bool durable) {
    ::fchmod(fd_, 0644);
    if ((durable && ::fsync(fd_) != 0) || ::close(fd_) != 0) {
      fd_ = -1;
      throw Error(ErrorKind::Output, target_ + ": cannot write the output: " + std::strerror(errno));
    }
    fd_ = -1;
    if (::rename(tmp_.c_str(), target_.c_str()) != 0) {
      throw Error(ErrorKind::Output, target_ + ": cannot rename the output into place: " + std::strerror(errno));
    }
    committed_ = true;
  }

 private:
  std::string target_;
  std::string tmp_;
  int fd_ = -1;
  bool committed_ = false;
};

void write_all(int fd, std::span<const uint8_t> bytes) {
  size_t done = 0;
  while (done < bytes.size()) {
    ssize_t n = ::write(fd, bytes.data() + done, bytes.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) throw Error(ErrorKind::Output, std::string("cannot write the output: ") + std::strerror(errno));
    done += static_cast<size_t>(n);
  }
}

bool same_file(const std::string& a, const std::string& b) {
  struct stat sa {}, sb {};
  if (::stat(a.c_str(), &sa) != 0 || ::stat(b.c_str(), &sb) != 0) return false;
  return sa.st_dev == sb.st_dev && sa.st_ino == sb.st_ino;
}

}  // namespace

struct Signer::Impl {
  SignOptions options;
  cose::SigningKey key;

  Impl(SignOptions o, cose::SigningKey k) : options(std::move(o)), key(std::move(k)) {}

  thumbnail::ThumbnailOptions thumbnail_options() const {
    thumbnail::ThumbnailOptions t;
    t.fast = !options.thumbnail_from_pixels;
    return t;
  }

  Parent load_parent(const ByteSource& src, const std::string& name) const {
    Parent p;
    auto det = formats::detect(src);
    p.format = det.mime;
    p.title = std::filesystem::path(name).filename().string();
    auto carrier = formats::find_c2pa(src, det.format);
    if (!carrier.store.empty()) {
      p.store = parse_store(std::move(carrier.store));
      Reader reader;  // recorded as c2pa-rs records them: validated with no trust anchors
      p.validation_results = reader.read(src).report.value("validation_results", nlohmann::json::object());
    }
    if (options.claim_thumbnail && !has_claim_thumbnail(p.store)) {
      // A parent always gets an ingredient thumbnail (from its preview or its pixels): the fast
      // policy's size limits are for the claim thumbnail of plain signing.
      thumbnail::ThumbnailOptions t = thumbnail_options();
      t.fast = false;
      p.thumbnail = thumbnail::make_thumbnail(src, det.format, t, &p.thumbnail_outcome);
    }
    return p;
  }

  std::vector<BuiltAssertion> parent_assertions(const Parent& parent, bool v2, std::vector<std::span<const uint8_t>>& copied) const {
    std::vector<BuiltAssertion> out;
    cbor::Value ing = cbor::Value::make_map();
    ing.set("dc:title", cbor::Value::from_text(parent.title));
    ing.set("dc:format", cbor::Value::from_text(parent.format));
    ing.set("relationship", cbor::Value::from_text("parentOf"));
    if (!v2) ing.set("instanceID", cbor::Value::from_text("xmp:iid:" + new_uuid_v4()));
    if (const Manifest* active = parent.store.active()) {
      for (const auto& m : parent.store.manifests) copied.push_back(m.superbox_bytes);
      auto manifest_hash = hash_bytes(HashAlg::Sha256, active->superbox_payload);
      std::string manifest_url = "self#jumbf=/c2pa/" + active->label;
      if (v2) {
        ing.set("activeManifest", hashed_uri_value(manifest_url, manifest_hash));
        ing.set("claimSignature", hashed_uri_value(manifest_url + "/c2pa.signature",
                                                   hash_bytes(HashAlg::Sha256, active->signature_superbox_payload)));
        ing.set("validationResults", cbor::from_json(parent.validation_results));
      } else {
        ing.set("c2pa_manifest", hashed_uri_value(manifest_url, manifest_hash));
        nlohmann::json failures = nlohmann::json::array();
        if (parent.validation_results.contains("activeManifest")) failures = parent.validation_results["activeManifest"].value("failure", failures);
        ing.set("validationStatus", cbor::from_json(failures));
      }
      // The parent's own claim thumbnail, when it has one, becomes the ingredient thumbnail.
      for (const auto& a : active->assertions) {
        if (a.kind == AssertionKind::EmbeddedFile && a.label.rfind("c2pa.thumbnail.claim", 0) == 0) {
          out.push_back(embedded_file_assertion(thumbnail_label("c2pa.thumbnail.ingredient", a.media_type, v2), a.media_type,
                                                a.content, v2));
          ing.set("thumbnail", hashed_uri_value("self#jumbf=c2pa.assertions/" + out.back().label, out.back().hash));
          break;
        }
      }
    }
    if (out.empty() && parent.thumbnail) {  // else one made from the parent file
      out.push_back(embedded_file_assertion(thumbnail_label("c2pa.thumbnail.ingredient", parent.thumbnail->media_type, v2),
                                            parent.thumbnail->media_type, parent.thumbnail->data, v2));
      ing.set("thumbnail", hashed_uri_value("self#jumbf=c2pa.assertions/" + out.back().label, out.back().hash));
    }
    out.push_back(cbor_assertion(v2 ? "c2pa.ingredient.v3" : "c2pa.ingredient", ing, v2));
    return out;
  }

  BuiltAssertion actions_assertion(const BuiltAssertion* ingredient, bool v2) const {
    cbor::Value actions = cbor::Value::make_array();
    std::string dst = source_type_uri(options.digital_source_type);
    if (ingredient) {
      cbor::Value opened = cbor::Value::make_map();
      opened.set("action", cbor::Value::from_text("c2pa.opened"));
      cbor::Value params = cbor::Value::make_map();
      cbor::Value ref = hashed_uri_value("self#jumbf=c2pa.assertions/" + ingredient->label, ingredient->hash);
      if (v2) {
        cbor::Value list = cbor::Value::make_array();
        list.push(std::move(ref));
        params.set("ingredients", std::move(list));
      } else {
        params.set("ingredient", std::move(ref));
      }
      opened.set("parameters", std::move(params));
      actions.push(std::move(opened));
      cbor::Value edited = cbor::Value::make_map();
      edited.set("action", cbor::Value::from_text("c2pa.edited"));
      edited.set("softwareAgent", software_agent());
      if (!dst.empty()) edited.set("digitalSourceType", cbor::Value::from_text(dst));
      actions.push(std::move(edited));
    } else {
      cbor::Value created = cbor::Value::make_map();
      created.set("action", cbor::Value::from_text("c2pa.created"));
      created.set("softwareAgent", software_agent());
      created.set("digitalSourceType", cbor::Value::from_text(dst.empty() ? std::string(kIptcSourceTypeBase) + "digitalCreation" : dst));
      actions.push(std::move(created));
    }
    for (const auto& spec : options.actions) {
      cbor::Value a = cbor::Value::make_map();
      a.set("action", cbor::Value::from_text(spec.action));
      if (!spec.parameters.empty()) a.set("parameters", cbor::from_json(spec.parameters));
      actions.push(std::move(a));
    }
    cbor::Value body = cbor::Value::make_map();
    body.set("actions", std::move(actions));
    return cbor_assertion(v2 ? "c2pa.actions.v2" : "c2pa.actions", body, v2);
  }

  std::vector<BuiltAssertion> definition_assertions(bool v2) const {
    std::vector<BuiltAssertion> out;
    if (!options.manifest_definition) return out;
    const nlohmann::json& def = *options.manifest_definition;
    if (!def.contains("assertions")) return out;
    if (!def["assertions"].is_array()) throw Error(ErrorKind::Usage, "manifest definition: \"assertions\" must be an array");
    for (const auto& a : def["assertions"]) {
      if (!a.is_object() || !a.contains("label") || !a["label"].is_string() || !a.contains("data")) {
        throw Error(ErrorKind::Usage, "manifest definition: each assertion needs a \"label\" and \"data\"");
      }
      std::string label = a["label"];
      if (label.rfind("c2pa.hash.", 0) == 0 || label.rfind("c2pa.actions", 0) == 0 || label.rfind("c2pa.ingredient", 0) == 0) {
        throw Error(ErrorKind::Usage, "manifest definition: assertion \"" + label +
                                          "\" is written by the signer itself; use --action / --parent instead");
      }
      if (a.value("kind", "Cbor") == "Json") out.push_back(json_assertion(label, a["data"], v2));
      else out.push_back(cbor_assertion(label, cbor::from_json(a["data"]), v2));
    }
    return out;
  }

  SignResult sign(const ByteSource& in, const std::string& name, int out_fd, bool sidecar) const {
    const bool v2 = options.claim_version >= 2;
    formats::Detected det = formats::detect(in);
    if (!formats::c2pa_supported(det.format) || det.format == formats::Format::Jumbf) {
      throw Error(ErrorKind::Unsupported, name + ": cannot sign " + (det.mime.empty() ? std::string("this format") : det.mime) +
                                              (sidecar ? "" : "; --sidecar writes a detached manifest for any file"));
    }
    const bool bmff = det.format == formats::Format::Bmff;
    SignResult result;

    // Ingredients: an explicit parent, or the input's own credentials (kept, never dropped).
    std::optional<Parent> parent;
    if (options.parent) {
      auto src = open_file_source(*options.parent);
      parent = load_parent(*src, *options.parent);
      parent->own_source = std::move(src);
    } else if (!formats::find_c2pa(in, det.format).store.empty()) {
      if (options.existing == ExistingCredentials::Refuse) {
        throw Error(ErrorKind::Usage, name + " already has Content Credentials: pass --parent " + name +
                                          " to keep them as the parent ingredient");
      }
      parent = load_parent(in, name);
      result.kept_existing_as_parent = true;
    }

    std::vector<BuiltAssertion> assertions;
    std::vector<std::span<const uint8_t>> copied_manifests;
    // The claim thumbnail (JPEG and PNG inputs; nullopt for other formats or undecodable images).
    if (options.claim_thumbnail) {
      std::optional<thumbnail::Thumbnail> thumb;
      thumbnail::ThumbnailOutcome outcome;
      if (parent && result.kept_existing_as_parent && (parent->thumbnail || parent->thumbnail_outcome.skipped_large)) {
        thumb = parent->thumbnail;  // the same file: made once
        outcome = parent->thumbnail_outcome;
      } else {
        thumb = thumbnail::make_thumbnail(in, det.format, thumbnail_options(), &outcome);
      }
      result.claim_thumbnail_skipped = outcome.skipped_large;
      if (thumb) {
        result.claim_thumbnail = thumb->source == thumbnail::ThumbnailSource::EmbeddedPreview ? "embedded-preview" : "pixels";
        assertions.push_back(embedded_file_assertion(thumbnail_label("c2pa.thumbnail.claim", thumb->media_type, v2),
                                                     thumb->media_type, thumb->data, v2));
      }
    }
    const BuiltAssertion* ingredient = nullptr;
    if (parent) {
      for (auto& a : parent_assertions(*parent, v2, copied_manifests)) assertions.push_back(std::move(a));
      ingredient = &assertions.back();
    }
    BuiltAssertion actions = actions_assertion(ingredient, v2);
    assertions.push_back(std::move(actions));
    for (auto& a : definition_assertions(v2)) assertions.push_back(std::move(a));

    // The hard binding, first with placeholders of the largest size its values can take.
    std::vector<uint8_t> zero_hash(32, 0);
    const std::string hb_label = bmff ? "c2pa.hash.bmff.v3" : "c2pa.hash.data";
    const size_t data_hash_ranges = sidecar ? 0 : 1;  // c2pa-rs records one range: the whole carrier
    const cbor::Value hb_placeholder =
        bmff ? bmff_hash_value(zero_hash)
             : data_hash_value(std::vector<ByteRange>(data_hash_ranges, ByteRange{UINT64_MAX, UINT64_MAX}), zero_hash);
    const size_t hb_size = cbor::encode(hb_placeholder).size();
    std::vector<uint8_t> hb_salt = v2 ? random_bytes(16) : std::vector<uint8_t>{};

    ClaimFields fields;
    fields.version = options.claim_version;
    fields.manifest_label = "urn:c2pa:" + new_uuid_v4();
    fields.instance_id = "xmp:iid:" + new_uuid_v4();
    fields.title = options.title.value_or(std::filesystem::path(name).filename().string());
    fields.format = det.mime;
    fields.generator_name = options.claim_generator_name;
    fields.generator_version = kVersion;
    result.manifest_label = fields.manifest_label;

    auto make_hb = [&](const std::vector<uint8_t>& encoded) {
      jumbf::Description d{jumbf::cbor_content_uuid(), hb_label, true, std::nullopt};
      if (v2) d.salt = hb_salt;
      BuiltAssertion a;
      a.label = hb_label;
      auto payload = jumbf::superbox_payload(d, {jumbf::make_box(jumbf::fourcc("cbor"), encoded)});
      a.hash = hash_bytes(HashAlg::Sha256, payload);
      a.superbox = jumbf::make_box(jumbf::fourcc("jumb"), payload);
      return a;
    };
    auto assemble = [&](const BuiltAssertion& hb, std::span<const uint8_t> sig) {
      std::vector<const BuiltAssertion*> list;
      list.push_back(&hb);
      for (const auto& a : assertions) list.push_back(&a);
      auto claim = build_claim(fields, list);
      return std::make_pair(claim, build_store(copied_manifests, fields.manifest_label, list, claim, fields.version, sig));
    };

    const size_t sig_size = cose::max_sign1_size(key, options.tsa_url.has_value());
    std::vector<uint8_t> sig_placeholder(sig_size, 0);
    BuiltAssertion hb = make_hb(cbor::encode(hb_placeholder));
    const uint64_t store_size = assemble(hb, sig_placeholder).second.size();

    // Place the store, then hash the exact bytes the binding covers: the output, or for a
    // sidecar the unchanged input. When the output is a regular file at offset 0 (the usual
    // case) the output is hashed while it is written, with the store's slot zeroed, and the store
    // is written into the slot afterwards: the input is read once.
    std::vector<uint8_t> final_hb;
    std::optional<formats::EmbedLayout> layout;
    bool output_written = false;
    auto finish_hb = [&](const std::vector<uint8_t>& digest, const std::vector<ByteRange>& exclusions) {
      if (bmff) {
        auto bytes = cbor::encode(bmff_hash_value(digest));
        if (bytes.size() != hb_size) throw Error(ErrorKind::Internal, "BMFF hash assertion changed size");
        return bytes;
      }
      return encode_padded(data_hash_value(exclusions, digest), hb_size);
    };
    if (sidecar) {
      std::vector<uint8_t> digest = bmff ? binding::compute_bmff_hash(bmff_hash_value(zero_hash), 3, in, HashAlg::Sha256)
                                         : hash_excluding(HashAlg::Sha256, in, {});
      final_hb = finish_hb(digest, {});
    } else {
      layout = formats::plan_embedding(in, det.format, store_size);
      std::vector<ByteRange> exclusions = bmff ? std::vector<ByteRange>{} : formats::data_hash_exclusions(*layout);
      auto planned_output = formats::layout_source(in, *layout, {});
      binding::HashPlan plan = bmff ? binding::bmff_hash_plan(bmff_hash_value(zero_hash), 3, *planned_output, HashAlg::Sha256)
                                    : binding::data_hash_plan(layout->output_size(), exclusions, HashAlg::Sha256);
      std::vector<uint8_t> digest;
      if (::lseek(out_fd, 0, SEEK_CUR) == 0) {
        // The hash reads the input's pages in place (mmap) while the kernel copies them into
        // the output (copy_file_range), the copy on a second thread for large outputs.
        binding::StreamingPlanHasher hasher(plan);
        formats::write_layout_hashed(
            in, *layout, out_fd, [&](uint64_t position, std::span<const uint8_t> bytes) { hasher.consume(position, bytes); },
            layout->output_size() >= kParallelHashThreshold);
        digest = hasher.finish();
        output_written = true;
      } else {  // a pipe or a shared descriptor: hash first, write once the store exists
        binding::StreamingPlanHasher hasher(plan);
        std::vector<uint8_t> chunk(1u << 20);
        for (uint64_t pos = 0; pos < planned_output->size(); pos += chunk.size()) {
          size_t n = static_cast<size_t>(std::min<uint64_t>(chunk.size(), planned_output->size() - pos));
          planned_output->read_at(pos, std::span(chunk.data(), n));
          hasher.consume(pos, std::span<const uint8_t>(chunk.data(), n));
        }
        digest = hasher.finish();
      }
      final_hb = finish_hb(digest, exclusions);
    }
    hb = make_hb(final_hb);
    auto [claim, unsigned_store] = assemble(hb, sig_placeholder);
    cose::Sign1Options sign_options;
    sign_options.tsa_url = options.tsa_url;
    sign_options.exact_size = sig_size;
    auto signature = cose::sign_claim(claim, key, sign_options, fields.version);
    auto store = build_store(copied_manifests, fields.manifest_label,
                             [&] {
                               std::vector<const BuiltAssertion*> list{&hb};
                               for (const auto& a : assertions) list.push_back(&a);
                               return list;
                             }(),
                             claim, fields.version, signature);
    if (store.size() != store_size) {
      throw Error(ErrorKind::Internal, "manifest store is " + std::to_string(store.size()) + " bytes, " +
                                           std::to_string(store_size) + " were reserved");
    }
    result.store_size = store.size();
    if (sidecar) {
      write_all(out_fd, store);
      result.output_size = store.size();
    } else {
      if (output_written) formats::patch_store(in, *layout, store, out_fd);
      else formats::write_layout(in, *layout, store, out_fd);
      result.output_size = layout->output_size();
    }
    return result;
  }
};

Signer::Signer(SignOptions options) {
  if (options.claim_version != 1 && options.claim_version != 2) throw Error(ErrorKind::Usage, "claim version must be 1 or 2");
  std::optional<cose::SigningAlg> alg;
  if (options.alg) {
    alg = cose::signing_alg_from_name(*options.alg);
    if (!alg) throw Error(ErrorKind::Usage, "unknown algorithm '" + *options.alg + "' (es256, es384, es512, ps256, ps384, ps512, ed25519)");
  }
  auto key = cose::SigningKey::load(options.key, options.cert_chain, alg);
  impl_ = std::make_unique<Impl>(std::move(options), std::move(key));
}

Signer::~Signer() = default;
Signer::Signer(Signer&&) noexcept = default;
Signer& Signer::operator=(Signer&&) noexcept = default;

SignResult Signer::sign_to_fd(const ByteSource& in, int out_fd, bool sidecar) const {
  return impl_->sign(in, in.name(), out_fd, sidecar);
}

SignResult Signer::sign_file(const std::string& in, const std::string& out, bool in_place) const {
  if (!in_place && (in == out || same_file(in, out))) {
    throw Error(ErrorKind::Usage, "the output is the input (" + out + "): pass --in-place to replace it");
  }
  auto src = open_file_source(in);
  OutputFile file(out);
  SignResult r = impl_->sign(*src, in, file.fd(), false);
  file.commit(in_place && same_file(in, out));
  return r;
}

SignResult Signer::sign_sidecar(const std::string& in, const std::string& out) const {
  if (in == out || same_file(in, out)) throw Error(ErrorKind::Usage, "the sidecar output would replace the input (" + out + ")");
  auto src = open_file_source(in);
  OutputFile file(out);
  SignResult r = impl_->sign(*src, in, file.fd(), true);
  file.commit(false);
  return r;
}

std::vector<uint8_t> Signer::sign_bytes(std::span<const uint8_t> in, const std::string& name, bool sidecar,
                                        SignResult* result) const {
  auto src = make_span_source(in, name);
  char path[] = "/tmp/veritrace-sign-XXXXXX";
  int fd = ::mkstemp(path);
  if (fd < 0) throw Error(ErrorKind::Output, std::string("cannot create a temporary file: ") + std::strerror(errno));
  ::unlink(path);
  struct Closer {
    int fd;
    ~Closer() { ::close(fd); }
  } closer{fd};
  SignResult r = impl_->sign(*src, name, fd, sidecar);
  if (result) *result = r;
  auto size = ::lseek(fd, 0, SEEK_END);
  std::vector<uint8_t> out(static_cast<size_t>(size));
  if (::pread(fd, out.data(), out.size(), 0) != size) throw Error(ErrorKind::Internal, "cannot read back the signed output");
  return out;
}

}  // namespace veritrace::c2pa
