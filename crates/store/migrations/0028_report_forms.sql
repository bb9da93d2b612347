-- 一表通: a form a street (or district) sends down, in its own layout (`layout`: JSON of
-- `shequ_domain::forms::Layout`, each value cell bound to an indicator or typed by hand). A
-- draft is edited by version; publishing fixes the period and the bindings. The form is the
-- sending node's, not a community's: its copies (`form_returns`) carry their community.
CREATE TABLE report_forms (
    id {id},
    node_id BIGINT NOT NULL REFERENCES org_nodes(id),
    title TEXT NOT NULL,
    layout TEXT NOT NULL,
    period TEXT,
    created_at TEXT NOT NULL,
    created_by TEXT NOT NULL,
    published_at TEXT,
    published_by TEXT,
    version BIGINT NOT NULL DEFAULT 1
);
CREATE INDEX report_forms_node ON report_forms(node_id);
-- A community's submitted copy: every cell as it stood when submitted (figures as computed
-- then, typed cells as typed). A correction is submitted again as the next version; the
-- earlier versions stay.
CREATE TABLE form_returns (
    id {id},
    form_id BIGINT NOT NULL REFERENCES report_forms(id),
    community_id BIGINT NOT NULL REFERENCES org_nodes(id),
    version BIGINT NOT NULL,
    cells TEXT NOT NULL,
    user_id BIGINT NOT NULL REFERENCES users(id),
    submitted_by TEXT NOT NULL,
    submitted_at TEXT NOT NULL,
    UNIQUE (form_id, community_id, version)
);
CREATE INDEX form_returns_community ON form_returns(community_id, form_id);
