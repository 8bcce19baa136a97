// Expanding the PATH... arguments of batch commands: files as given, folders walked recursively in
// sorted order (symbolic links to folders are not followed, so a link loop cannot recur).
#pragma once
#include <string>
#include <vector>

namespace veritrace::cli {

// Files inside folders are kept when their extension names a media type we read (images, video,
// audio, .c2pa); files named explicitly are always kept. "-" (standard input) is kept as is.
std::vector<std::string> expand_inputs(const std::vector<std::string>& args);

}  // namespace veritrace::cli
