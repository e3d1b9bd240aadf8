//! OCS provisioning: users and groups, v1 and v2, XML and JSON.

pub mod envelope;
