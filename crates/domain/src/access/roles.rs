//! Roles of `../shared/domain.md` and what each may do. Scope (which nodes) is separate: a role
//! says what kind of thing a user may do, the scope says where.

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    GridWorker,
    LineWorker,
    CommunityHead,
    StreetStaff,
    DistrictAdmin,
    Admin,
    SecurityAdmin,
    Auditor,
}

impl Role {
    pub const ALL: [Role; 8] = [
        Role::GridWorker,
        Role::LineWorker,
        Role::CommunityHead,
        Role::StreetStaff,
        Role::DistrictAdmin,
        Role::Admin,
        Role::SecurityAdmin,
        Role::Auditor,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Role::GridWorker => "grid_worker",
            Role::LineWorker => "line_worker",
            Role::CommunityHead => "community_head",
            Role::StreetStaff => "street_staff",
            Role::DistrictAdmin => "district_admin",
            Role::Admin => "admin",
            Role::SecurityAdmin => "security_admin",
            Role::Auditor => "auditor",
        }
    }

    pub fn parse(s: &str) -> Option<Role> {
        Role::ALL
            .into_iter()
            .find(|r| r.as_str() == s || r.label() == s)
    }

    pub fn label(self) -> &'static str {
        match self {
            Role::GridWorker => "网格员",
            Role::LineWorker => "条口专干",
            Role::CommunityHead => "社区书记/主任",
            Role::StreetStaff => "街道工作人员",
            Role::DistrictAdmin => "区级管理员",
            Role::Admin => "系统管理员",
            Role::SecurityAdmin => "安全管理员",
            Role::Auditor => "审计员",
        }
    }

    /// May open residents' records anywhere in the user's area. Street and district roles
    /// work with statistics and see personal data only where a grant says so (`data_grants`);
    /// the three administrators run the system, not the registry.
    pub fn reads_people(self) -> bool {
        matches!(
            self,
            Role::GridWorker | Role::LineWorker | Role::CommunityHead
        )
    }

    pub fn writes_people(self) -> bool {
        self.reads_people()
    }

    /// May export ledgers with personal data (.xlsx): the community's own staff, after the
    /// second factor. Granted street and district staff read, they don't take copies.
    pub fn exports_people(self) -> bool {
        self.reads_people()
    }

    /// May be granted read access to personal data of part of their area.
    pub fn may_be_granted_people(self) -> bool {
        matches!(self, Role::StreetStaff | Role::DistrictAdmin)
    }

    /// May open the tree, its statistics and its units: everyone who works with the area. The
    /// security administrator and the auditor look at accounts and logs, not at the area.
    pub fn views_area(self) -> bool {
        !matches!(self, Role::SecurityAdmin | Role::Auditor)
    }

    /// May add buildings, units and rooms: the grid worker knows the ground.
    pub fn adds_places(self) -> bool {
        matches!(self, Role::GridWorker | Role::CommunityHead | Role::Admin)
    }

    /// May rename, move, recode and retire nodes, and add grids and above.
    pub fn manages_tree(self) -> bool {
        matches!(self, Role::CommunityHead | Role::Admin)
    }

    /// The district's shared settings: 事件 categories and time limits, the holiday calendar,
    /// patrol checklists. They hold for every community, so they belong to the district-level
    /// business administrator (区级管理员), not to a community head (who would change them for
    /// everyone) nor to the system administrator (who runs the tree and the system, 三权分立).
    pub fn manages_district_settings(self) -> bool {
        matches!(self, Role::DistrictAdmin)
    }

    /// What one community may add to the district's settings for itself only: its own 小类,
    /// its own time limits, its own patrol checklist items.
    pub fn manages_community_settings(self) -> bool {
        matches!(self, Role::CommunityHead)
    }

    /// Sends 一表通 forms down to the communities and reads them back added up: the street's
    /// and the district's business staff.
    pub fn publishes_forms(self) -> bool {
        matches!(self, Role::StreetStaff | Role::DistrictAdmin)
    }

    /// Checks a community's copy of a form, fills what no record holds, and submits it: the
    /// community's head and its line workers (条口专干), who answer the street's forms.
    pub fn fills_forms(self) -> bool {
        matches!(self, Role::CommunityHead | Role::LineWorker)
    }

    /// Accounts, roles, areas, grants and second factors: the security administrator's duty,
    /// kept apart from the system administrator's (等保 三权分立).
    pub fn manages_users(self) -> bool {
        matches!(self, Role::SecurityAdmin)
    }

    /// Reads and exports the audit log; nobody else does, and nobody may change it.
    pub fn reads_audit(self) -> bool {
        matches!(self, Role::Auditor)
    }
}
