// placeholder until the module's first source lands; keeps the target buildable.
namespace veritrace { [[maybe_unused]] static const int k_report_placeholder = 0; }
