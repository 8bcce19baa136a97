// The per-file loop every batch command shares: errors become error reports, the batch goes on,
// and the exit code is the worst among the files.
#include <iostream>
#include <new>

#include "commands.hpp"
#include "veritrace/core.hpp"
#include "veritrace/report.hpp"

namespace veritrace::cli {

int run_batch(const std::vector<std::string>& files, const BatchOutput& output, const FileReport& one) {
  int code = 0;
  nlohmann::json all = nlohmann::json::array();
  for (const auto& file : files) {
    nlohmann::json r;
    try {
      int file_code = 0;
      r = one(file, file_code);
      code = worst(code, file_code);
    } catch (const Error& e) {
      const std::string what = e.what();  // name the file unless the message already does
      std::cerr << "veritrace: " << (what.rfind(file, 0) == 0 ? "" : file + ": ") << what << "\n";
      r = report::error_report(file, error_kind_name(e.kind()), e.what());
      code = worst(code, static_cast<int>(exit_code_for(e.kind())));
    } catch (const std::bad_alloc&) {
      std::cerr << "veritrace: " << file << ": out of memory\n";
      r = report::error_report(file, "internal", "out of memory");
      code = worst(code, static_cast<int>(ExitCode::Internal));
    }
    if (r.contains("error") && !output.schema_version.empty()) r["schema_version"] = output.schema_version;
    if (output.json) {
      all.push_back(std::move(r));
    } else if (!r.contains("error")) {  // errors already went to stderr
      std::cout << output.text(r) << std::flush;
    }
  }
  if (output.json) {
    const nlohmann::json& out = all.size() == 1 ? all[0] : all;
    std::cout << out.dump(2, ' ', false, nlohmann::json::error_handler_t::replace) << "\n";
  }
  std::cout.flush();
  if (!std::cout) {
    std::cerr << "veritrace: cannot write the report to standard output\n";
    return worst(code, static_cast<int>(ExitCode::OutputFailed));
  }
  return code;
}

}  // namespace veritrace::cli
