// placeholder until the module's first source lands
namespace veritrace { [[maybe_unused]] static const int k_binding_placeholder = 0; }
