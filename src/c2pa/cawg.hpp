// CAWG identity assertions (cawg.identity): the Creator Assertions Working Group's signer
// binding, validated as c2pa-rs 0.90.1 does (X.509 COSE signatures and identity claims
// aggregation credentials), with the cawg.* status codes.
#pragma once
#include "c2pa/store_model.hpp"
#include "c2pa/validation_log.hpp"
#include "cose/cose.hpp"

namespace veritrace::c2pa {

// Validates one cawg.identity assertion of manifest `m`, logging statuses (urls: the
// assertion's absolute URI) into `log`.
void validate_cawg_identity(const ManifestStore& store, const Manifest& m, const AssertionBox& assertion,
                            const cose::TrustSettings& trust, ValidationLog& log);

}  // namespace veritrace::c2pa
