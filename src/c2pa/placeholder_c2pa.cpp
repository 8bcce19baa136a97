// placeholder until the module's first source lands; keeps the target buildable.
namespace veritrace { [[maybe_unused]] static const int k_c2pa_placeholder = 0; }
