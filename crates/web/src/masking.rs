//! Personal values leave the server masked (`110105********002X`, `138****1234`; names as
//! `张*三` for roles who see people only by grant). There is nothing left to do here: the store
//! returns them as `shequ_store::access::personal` types whose serialisation and rendering are masked,
//! so a handler can't forget. The full values need a `Revealed` proof, which only the audited
//! paths (`people::reveal`, `people::call`, the second-factor exports) hand out.

pub use shequ_store::access::personal::{IdNo, PersonName, PhoneNo, Revealed, masks_names};
