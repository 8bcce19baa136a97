#include "input_paths.hpp"

#include <algorithm>
#include <filesystem>
#include <set>

namespace veritrace::cli {

namespace {

bool media_extension(const std::filesystem::path& p) {
  static const std::set<std::string> exts = {".jpg", ".jpeg", ".jpe", ".jfif", ".png", ".webp", ".gif", ".tif",
                                             ".tiff", ".dng", ".heic", ".heif", ".avif", ".bmp", ".mp4", ".m4v",
                                             ".mov", ".m4a", ".wav", ".mp3", ".flac", ".ogg", ".opus", ".c2pa"};
  std::string e = p.extension().string();
  std::transform(e.begin(), e.end(), e.begin(), [](unsigned char c) { return std::tolower(c); });
  return exts.count(e) > 0;
}

}  // namespace

std::vector<std::string> expand_inputs(const std::vector<std::string>& args) {
  namespace fs = std::filesystem;
  std::vector<std::string> out;
  for (const auto& a : args) {
    std::error_code ec;
    if (a != "-" && fs::is_directory(a, ec)) {
      std::vector<std::string> found;
      fs::recursive_directory_iterator it(a, fs::directory_options::skip_permission_denied, ec), end;
      for (; !ec && it != end; it.increment(ec)) {
        std::error_code ec2;
        if (it->is_regular_file(ec2) && media_extension(it->path())) found.push_back(it->path().string());
      }
      std::sort(found.begin(), found.end());
      out.insert(out.end(), found.begin(), found.end());
      if (found.empty()) out.push_back(a);  // reported as "no media files in this folder"
    } else {
      out.push_back(a);
    }
  }
  return out;
}

}  // namespace veritrace::cli
