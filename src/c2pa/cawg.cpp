#include "c2pa/cawg.hpp"

namespace veritrace::c2pa {

// Not implemented yet: CAWG identity assertions are shown as data but not validated.
void validate_cawg_identity(const ManifestStore&, const Manifest&, const AssertionBox&, const cose::TrustSettings&,
                            ValidationLog&) {}

}  // namespace veritrace::c2pa
