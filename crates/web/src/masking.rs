//! Personal values leave the server masked (`110105********002X`, `138****1234`; names as
//! `张*三` for roles who see people only by grant). The full values are an explicit, audited
//! action (`people::reveal`). Masking happens here, on the server, so a masked value never
//! existed in full in the page or the JSON.

use shequ_domain::mask::{mask_id, mask_name, mask_phone};
use shequ_store::Actor;
use shequ_store::people::{Person, Resident};
use shequ_store::search::Hit;

/// Street and district staff see people only where granted, and then with names masked too.
pub fn masks_names(actor: &Actor) -> bool {
    !actor.role.reads_people()
}

pub fn person(mut p: Person, actor: &Actor) -> Person {
    p.id_number = p.id_number.as_deref().map(mask_id);
    p.doc_no = p.doc_no.as_deref().map(mask_id);
    p.phone = p.phone.as_deref().map(mask_phone);
    if masks_names(actor) {
        p.name = mask_name(&p.name);
    }
    p
}

pub fn residents(rs: Vec<Resident>, actor: &Actor) -> Vec<Resident> {
    if !masks_names(actor) {
        return rs;
    }
    rs.into_iter()
        .map(|mut r| {
            r.name = mask_name(&r.name);
            r
        })
        .collect()
}

pub fn hits(hs: Vec<Hit>, actor: &Actor) -> Vec<Hit> {
    if !masks_names(actor) {
        return hs;
    }
    hs.into_iter()
        .map(|mut h| {
            h.name = mask_name(&h.name);
            h
        })
        .collect()
}
