#![cfg_attr(test, allow(clippy::unwrap_used, clippy::expect_used))]
//! `shequ`: the one binary. `serve` runs the web app; `demo` fills an empty database with a
//! fictional district; `migrate` brings a database schema up to date; `user add` creates a login.

mod demo;
mod import;
mod report;

#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

use std::io::Read;
use std::net::SocketAddr;
use std::time::Instant;

use anyhow::{Context, bail};
use clap::{Parser, Subcommand};
use shequ_domain::access::roles::Role;
use shequ_store::{Pool, access::users};

const DEFAULT_DB: &str = "sqlite://data/shequ.db";

#[derive(Parser)]
#[command(
    name = "shequ",
    version,
    about = "社区工作台：实有人口、组织架构、重点人群，一次录入，处处可用"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
    /// 仅供测试：假定当前时间为给定时刻（RFC 3339，如 2027-01-04T09:00:00+08:00），时钟从该时刻起照常走；正式使用时不要设置
    #[arg(long = "pretend-now", global = true, value_name = "RFC3339")]
    pretend_now: Option<String>,
    /// 本系统的时区：记录按这个时区的日期计入期间、显示时间（默认 Asia/Shanghai 北京时间；
    /// 可写 UTC 或 +08:00 这样的时差），与服务器本身的时区设置无关
    #[arg(
        long = "time-zone",
        global = true,
        env = "SHEQU_TIME_ZONE",
        default_value = "Asia/Shanghai",
        value_name = "ZONE"
    )]
    time_zone: String,
}

#[derive(clap::Args, Clone)]
struct DbArg {
    /// 数据库地址：sqlite://文件路径 或 postgresql://用户@主机/库名
    #[arg(long = "db", env = "SHEQU_DB", default_value = DEFAULT_DB)]
    url: String,
    /// 数据密钥文件（默认：SQLite 数据库文件旁的 <文件名>.key；也可用环境变量 SHEQU_KEY 直接给出密钥内容）
    #[arg(long = "key-file", env = "SHEQU_KEY_FILE")]
    key_file: Option<std::path::PathBuf>,
}

#[derive(Subcommand)]
enum Command {
    /// 启动网页服务
    Serve {
        #[command(flatten)]
        db: DbArg,
        /// 监听地址
        #[arg(long, default_value = "127.0.0.1:8080")]
        listen: SocketAddr,
        /// 数据库为空时生成演示数据并打印演示账号
        #[arg(long)]
        demo: bool,
        /// 演示数据的人数
        #[arg(long, default_value_t = 3000)]
        demo_people: usize,
        /// 演示账号统一使用的密码（不填则随机生成并打印）
        #[arg(long, env = "SHEQU_DEMO_PASSWORD")]
        demo_password: Option<String>,
        /// 连续输错密码多少次后锁定账号
        #[arg(long, default_value_t = 5)]
        lockout_attempts: i64,
        /// 锁定多少分钟
        #[arg(long, default_value_t = 15)]
        lockout_minutes: i64,
        /// 无操作多少分钟后会话失效
        #[arg(long, default_value_t = 30)]
        idle_minutes: u64,
        /// HTTPS 证书链文件（PEM）；与 --tls-key 一起给出时直接以 HTTPS 提供服务
        #[arg(long, requires = "tls_key")]
        tls_cert: Option<std::path::PathBuf>,
        /// HTTPS 私钥文件（PEM）
        #[arg(long, requires = "tls_cert")]
        tls_key: Option<std::path::PathBuf>,
        /// 由前置代理（如 nginx）提供 HTTPS：Cookie 加 Secure，并发送 HSTS
        #[arg(long)]
        behind_tls_proxy: bool,
        /// 居民和外部系统访问本站的地址（如 https://shequ.example.gov.cn），用于随手拍二维码等对外链接；
        /// 不填则用监听地址（仅适合本机演示）。从不采用请求里的 Host 头
        #[arg(long, env = "SHEQU_PUBLIC_URL")]
        public_url: Option<String>,
    },
    /// 向空数据库生成演示数据（虚构的姓名和身份证号）
    Demo {
        #[command(flatten)]
        db: DbArg,
        #[arg(long, default_value_t = 3000)]
        people: usize,
        #[arg(long, env = "SHEQU_DEMO_PASSWORD")]
        password: Option<String>,
    },
    /// 在已生成的演示数据的第一个街道里成批生成事件和走访（性能测试用）
    DemoFieldWork {
        #[command(flatten)]
        db: DbArg,
        #[arg(long, default_value_t = 0)]
        tickets: usize,
        #[arg(long, default_value_t = 0)]
        visits: usize,
        /// 生成在哪个节点之下：名称路径或节点编号（默认第一个街道）
        #[arg(long)]
        node: Option<String>,
    },
    /// 执行数据库迁移后退出
    Migrate {
        #[command(flatten)]
        db: DbArg,
    },
    /// 用户管理
    User {
        #[command(subcommand)]
        command: UserCommand,
    },
    /// 导入已有的 Excel/CSV 台账（先核对，再一次性写入）
    #[command(
        after_help = "例：shequ import 花名册.xlsx --kind persons --grid \"示范区/凤凰街道/凤凰熙岸社区/第1网格\" --as shuji --dry-run\n    shequ import 低保台账.xlsx --kind dibao --grid \"示范区/凤凰街道/凤凰熙岸社区\" --as shuji"
    )]
    Import {
        #[command(flatten)]
        db: DbArg,
        /// .xlsx、.xls 或 .csv 文件
        file: std::path::PathBuf,
        /// 导入的内容：persons（实有人口，默认）、units（辖区单位）、rentals（出租房屋）、
        /// visits（以往的走访记录：走访日期、被走访人或公民身份号码、走访方式、走访情况、走访人）、
        /// patrols（以往的巡查记录：巡查日期、巡查类型、路线、检查单位、发现问题数、巡查人）、
        /// mediation（以往的调解案件：受理日期、纠纷类型、申请人、被申请人、纠纷简要情况、调解结果、结案日期），
        /// tickets（以往的事件：上报时间、类别、事项、处置单位、受理时间、办结时间、处置情况、群众评价、状态；
        /// 由社区书记/主任导入，每一步按台账上的时间补录），
        /// 或一类重点人群的名单：dibao（低保）、
        /// tekun（特困）、disability（残疾）、veteran（退役军人）、family_planning（计生特扶）、
        /// floating（流动人口）、correction（刑释解教/社区矫正）、left_behind_child（留守儿童）、
        /// elderly_alone（空巢/独居老人）、unemployed（登记失业）、hard_to_employ（就业困难）、
        /// poverty_watch（脱贫户/监测户）、militia（民兵）、party_member（党员）
        #[arg(long, default_value = "persons")]
        kind: String,
        /// 导入到哪里：实有人口、辖区单位和出租房屋导入到一个网格，重点人群名单导入到一个社区或网格；写从区开始的
        /// 名称路径（如 示范区/凤凰街道/凤凰熙岸社区/第1网格）或节点编号
        #[arg(long)]
        grid: String,
        /// 以哪个账号的名义导入（记入审计日志）
        #[arg(long = "as")]
        as_user: String,
        /// 只核对，不写入
        #[arg(long)]
        dry_run: bool,
        /// 以 JSON 输出统计和每一条被拒绝或有提示的行
        #[arg(long)]
        json: bool,
        /// 采纳与系统记录不同的字段（默认只列出，不覆盖）
        #[arg(long)]
        accept_updates: bool,
        /// 指定某一列的内容（实有人口台账），可多次使用，如 --map "实际居住地址=住址"
        /// --map "户编号=户号" --map "户籍地址=不导入"；原列名也可写列字母（如 G）
        #[arg(long = "map", value_name = "原列名=字段")]
        map: Vec<String>,
    },
    /// 以 JSON 列出每个网址及其访问规则（授权测试由此生成）
    Routes,
    /// 为接入网上报事（Open311）的系统开通一个 api_key，只显示这一次
    #[command(
        after_help = "例：shequ open311-key --name 市民服务小程序 --node \"示范区/凤凰街道/凤凰熙岸社区\" --as admin"
    )]
    Open311Key {
        #[command(flatten)]
        db: DbArg,
        /// 接入的系统名称
        #[arg(long)]
        name: String,
        /// 报来的事件落到哪个社区或网格：名称路径或节点编号
        #[arg(long)]
        node: String,
        /// 以哪个账号的名义开通（须能维护组织架构，记入审计日志）
        #[arg(long = "as")]
        as_user: String,
    },
    /// 更换数据密钥：生成新密钥，用它重新加密全部敏感信息，再从密钥文件中删去旧密钥
    RotateKey {
        #[command(flatten)]
        db: DbArg,
        /// 加密算法：sm4-gcm（默认）或 aes-256-gcm
        #[arg(long, default_value = "sm4-gcm")]
        provider: String,
    },
    /// 备份 SQLite 数据库（VACUUM INTO，得到一致的副本；密钥文件不在其中，请另行备份）
    Backup {
        #[command(flatten)]
        db: DbArg,
        /// 备份文件路径（不能已存在）
        #[arg(long)]
        to: std::path::PathBuf,
    },
    /// 统计报告：按指标目录算出一个节点某一期间的全部数字（JSON 供脚本使用；md 为工作总结的文字预览）
    #[command(
        after_help = "例：shequ report --period 2024 --format json\n    shequ report --node \"示范区/凤凰街道/凤凰熙岸社区\" --period 2024H1 --format md --out 总结预览.md\n    shequ report --node \"示范区/凤凰街道/凤凰熙岸社区\" --period 2024 --format docx --out 2024年工作总结.docx"
    )]
    Report {
        #[command(flatten)]
        db: DbArg,
        /// 统计哪个节点：名称路径（如 示范区/凤凰街道/凤凰熙岸社区）或节点编号；不填则统计整个辖区
        #[arg(long)]
        node: Option<String>,
        /// 统计期间：2024、2024H1、2024Q3、2024-05 或 2024-01-01..2024-03-31
        #[arg(long)]
        period: String,
        /// 某位工作人员的个人工作总结（账号名）：只算他本人登记的记录，台账取自他分管的区域；只用于 md 和 docx
        #[arg(long, conflicts_with = "node")]
        worker: Option<String>,
        /// 输出格式
        #[arg(long, value_enum, default_value = "json")]
        format: report::Format,
        /// 写入文件（不填则输出到屏幕）
        #[arg(long)]
        out: Option<std::path::PathBuf>,
    },
    /// 审计日志
    Audit {
        #[command(subcommand)]
        command: AuditCommand,
    },
}

#[derive(Subcommand)]
enum AuditCommand {
    /// 逐条核对审计日志的哈希链，报告第一条被修改、插入或删除的记录
    Verify {
        #[command(flatten)]
        db: DbArg,
    },
}

#[derive(Subcommand)]
enum UserCommand {
    /// 新建用户；密码从标准输入读取
    Add {
        #[command(flatten)]
        db: DbArg,
        #[arg(long)]
        username: String,
        #[arg(long)]
        name: String,
        /// grid_worker | line_worker | community_head | street_staff | district_admin | admin | security_admin | auditor
        #[arg(long)]
        role: String,
        /// 辖区节点编号，可多次给出
        #[arg(long = "area", required = true)]
        areas: Vec<i64>,
    },
    /// 停用用户，并立即结束其全部会话
    Disable {
        #[command(flatten)]
        db: DbArg,
        #[arg(long)]
        username: String,
    },
    /// 授权街道/区级用户查看某节点下的人员信息
    Grant {
        #[command(flatten)]
        db: DbArg,
        #[arg(long)]
        username: String,
        /// 节点编号（须在该用户辖区内）
        #[arg(long)]
        area: i64,
        /// 授权理由
        #[arg(long)]
        reason: String,
    },
    /// 撤销授权
    Revoke {
        #[command(flatten)]
        db: DbArg,
        #[arg(long)]
        username: String,
        #[arg(long)]
        area: i64,
    },
    /// 发放一次性绑定码：用户首次绑定手机验证器时须输入（72 小时内有效；请当面或电话告知本人）
    BindCode {
        #[command(flatten)]
        db: DbArg,
        #[arg(long)]
        username: String,
    },
    /// 重置手机验证器（用户换手机或丢失时），并结束其全部会话；同时发放重新绑定用的绑定码
    ResetTotp {
        #[command(flatten)]
        db: DbArg,
        #[arg(long)]
        username: String,
    },
    /// 重新启用用户（同时解除锁定）
    Enable {
        #[command(flatten)]
        db: DbArg,
        #[arg(long)]
        username: String,
    },
}

/// Connections to the database; the server does at most this much database work at once.
const POOL_SIZE: usize = 8;

fn open(db: &DbArg) -> anyhow::Result<Pool> {
    let (pool, key) = shequ_store::open_with_key(&db.url, POOL_SIZE, db.key_file.as_deref())
        .map_err(|e| anyhow::anyhow!("{e}"))?;
    if key.created {
        eprintln!(
            "已生成数据密钥文件 {}。请立即把它另行备份（不要和数据库放在同一份备份里）；丢失后，加密保存的身份证号、电话等将无法恢复。",
            key.path.display()
        );
    }
    if key.loose_permissions {
        eprintln!(
            "警告：密钥文件 {} 可被其他用户读取，请执行 chmod 600 {}",
            key.path.display(),
            key.path.display()
        );
    }
    if key.resealed > 0 {
        eprintln!(
            "已加密（或按新密钥重新加密）{} 条记录中的敏感信息。",
            key.resealed
        );
    }
    Ok(pool)
}

/// `--public-url`: an http(s) address with a host and nothing after it but a path, without
/// the trailing '/'.
fn check_public_url(u: &str) -> anyhow::Result<String> {
    let trimmed = u.trim().trim_end_matches('/');
    let rest = trimmed
        .strip_prefix("https://")
        .or_else(|| trimmed.strip_prefix("http://"));
    let host = rest.map(|r| r.split('/').next().unwrap_or_default());
    let ok = host.is_some_and(|h| {
        !h.is_empty()
            && h.chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | ':' | '-' | '[' | ']'))
    }) && !trimmed.contains(['?', '#', ' ', '\\']);
    if !ok {
        bail!(
            "--public-url “{u}”不是有效的网址：请写成 https://域名（可带端口），例如 https://shequ.example.gov.cn"
        );
    }
    Ok(trimmed.to_string())
}

fn print_demo(summary: &demo::Summary, elapsed: std::time::Duration) {
    println!(
        "演示数据已生成（{:.1} 秒）：{} 个街道、{} 个社区、{} 个网格、{} 栋楼、{} 户房屋（出租 {}）、{} 户、{} 人、{} 家单位、{} 条重点人群记录",
        elapsed.as_secs_f64(),
        summary.streets,
        summary.communities,
        summary.grids,
        summary.buildings,
        summary.rooms,
        summary.rented,
        summary.households,
        summary.people,
        summary.units,
        summary.tags
    );
    if !summary.logins.is_empty() {
        println!("演示账号（请妥善保管，正式使用前删除）：");
        for l in &summary.logins {
            println!(
                "  {:<10} 密码 {:<14} {}（{}）",
                l.username,
                l.password,
                l.role.label(),
                l.area
            );
        }
    }
}

fn run_demo(pool: &Pool, people: usize, password: Option<&str>) -> anyhow::Result<()> {
    let mut conn = pool.get().map_err(|e| anyhow::anyhow!("{e}"))?;
    let started = Instant::now();
    let summary = demo::generate(&mut conn, people, password)?;
    print_demo(&summary, started.elapsed());
    // The demo plays the security administrator's part: each login's first binding code.
    if !summary.logins.is_empty() {
        println!(
            "手机验证器绑定码（演示用；正式使用时由安全管理员用 shequ user bind-code 逐一发放）："
        );
        for l in &summary.logins {
            let code =
                shequ_store::access::second_factor::issue_binding_code(&mut conn, &l.username)
                    .map_err(|e| anyhow::anyhow!("{e}"))?;
            println!("  {:<10} 绑定码 {code}", l.username);
        }
    }
    Ok(())
}

/// Moves the process's clock when asked plainly (see `shequ_domain::clock`): `--pretend-now`
/// in any build, `SHEQU_NOW` only in a build with debug assertions, so an environment left over
/// from testing can't move a production server's clock.
fn pretend_now(flag: Option<&str>) -> anyhow::Result<()> {
    let from_env = std::env::var("SHEQU_NOW").ok().filter(|v| !v.is_empty());
    let chosen = match (flag, from_env) {
        (Some(f), _) => Some(("--pretend-now", f.to_string())),
        (None, Some(v)) if cfg!(debug_assertions) => Some(("SHEQU_NOW", v)),
        (None, Some(_)) => {
            tracing::warn!("忽略环境变量 SHEQU_NOW：正式版本只接受 --pretend-now 选项");
            None
        }
        (None, None) => None,
    };
    if let Some((source, value)) = chosen {
        let at = chrono::DateTime::parse_from_rfc3339(value.trim()).with_context(|| {
            format!("{source}：时间格式应为 RFC 3339，如 2027-01-04T09:00:00+08:00")
        })?;
        shequ_domain::clock::pretend(at.with_timezone(&chrono::Utc));
        tracing::warn!("时钟已按 {source} 设定为 {at}（仅供测试）");
    }
    Ok(())
}

fn main() -> anyhow::Result<()> {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_env("SHEQU_LOG")
                .unwrap_or_else(|_| "info".into()),
        )
        .with_writer(std::io::stderr)
        .init();
    let cli = Cli::parse();
    shequ_domain::clock::set_zone(
        shequ_domain::clock::parse_zone(&cli.time_zone)
            .map_err(|e| anyhow::anyhow!("--time-zone：{e}"))?,
    );
    pretend_now(cli.pretend_now.as_deref())?;
    match cli.command {
        Command::Serve {
            db,
            listen,
            demo,
            demo_people,
            demo_password,
            lockout_attempts,
            lockout_minutes,
            idle_minutes,
            tls_cert,
            tls_key,
            behind_tls_proxy,
            public_url,
        } => {
            let public_url = public_url.map(|u| check_public_url(&u)).transpose()?;
            let tls = match (&tls_cert, &tls_key) {
                (Some(c), Some(k)) => {
                    Some(shequ_web::tls::load(c, k).map_err(|e| anyhow::anyhow!(e))?)
                }
                _ => None,
            };
            let pool = open(&db)?;
            if demo {
                let mut conn = pool.get().map_err(|e| anyhow::anyhow!("{e}"))?;
                let empty = conn
                    .scalar("SELECT count(*) FROM org_nodes", &[])
                    .map_err(|e| anyhow::anyhow!("{e}"))?
                    == 0;
                drop(conn);
                if empty {
                    run_demo(&pool, demo_people, demo_password.as_deref())?;
                } else {
                    println!("数据库已有数据，未重新生成演示数据（演示账号见首次生成时的输出）。");
                }
            }
            // Database work holds one of the pool's slots before it takes a blocking thread
            // (`AppState::db`); the rest (password hashing, file parsing) is bounded too. The
            // cap is a backstop that keeps threads, and their allocator heaps, from growing
            // with the number of waiting requests.
            let runtime = tokio::runtime::Builder::new_multi_thread()
                .enable_all()
                .max_blocking_threads(POOL_SIZE + 8)
                .build()
                .context("无法启动异步运行时")?;
            let state = shequ_web::AppState::new(
                pool.clone(),
                shequ_web::Settings {
                    idle: std::time::Duration::from_secs(idle_minutes.max(1) * 60),
                    login: users::LoginPolicy {
                        attempts: lockout_attempts.max(1),
                        lock_minutes: lockout_minutes.max(1),
                    },
                    secure: tls.is_some() || behind_tls_proxy,
                },
            );
            if let Some(u) = public_url {
                let _ = state.inner.public_url.set(u);
            }
            let url = pool.url().redacted();
            let scheme = if tls_cert.is_some() { "https" } else { "http" };
            runtime
                .block_on(shequ_web::serve(state, listen, tls, |addr| {
                    println!("社区工作台已启动：{scheme}://{addr}/  （数据库 {url}）");
                }))
                .with_context(|| format!("无法在 {listen} 上提供服务"))?;
        }
        Command::Demo {
            db,
            people,
            password,
        } => {
            let pool = open(&db)?;
            run_demo(&pool, people, password.as_deref())?;
        }
        Command::DemoFieldWork {
            db,
            tickets,
            visits,
            node,
        } => {
            let pool = open(&db)?;
            let mut conn = pool.get().map_err(|e| anyhow::anyhow!("{e}"))?;
            let under = node
                .map(|n| shequ_store::imports::node_by_path(&mut conn, &n))
                .transpose()
                .map_err(|e| anyhow::anyhow!("--node：{e}"))?;
            let started = Instant::now();
            let street = demo::work::generate(&mut conn, tickets, visits, under)?;
            println!(
                "已在{street}生成 {tickets} 条事件、{visits} 次走访（{:.1} 秒）",
                started.elapsed().as_secs_f64()
            );
        }
        Command::Migrate { db } => {
            open(&db)?;
            println!("数据库结构已是最新。");
        }
        Command::RotateKey { db, provider } => {
            let provider =
                shequ_vault::Provider::parse(&provider).map_err(|e| anyhow::anyhow!("{e}"))?;
            let pool = open(&db)?;
            let parsed = shequ_store::DbUrl::parse(&db.url).map_err(|e| anyhow::anyhow!("{e}"))?;
            let path = db
                .key_file
                .clone()
                .unwrap_or_else(|| shequ_store::access::sealed::default_key_path(&parsed));
            let mut conn = pool.get().map_err(|e| anyhow::anyhow!("{e}"))?;
            let (version, rows) = shequ_store::access::sealed::rotate(&mut conn, &path, provider)
                .map_err(|e| anyhow::anyhow!("{e}"))?;
            println!(
                "已更换为第 {version} 版密钥（{}），重新加密了 {rows} 条记录。密钥文件 {} 已更新：请立即另行备份新的密钥文件；此前的数据库备份需要用旧密钥文件才能恢复。",
                provider.as_str(),
                path.display()
            );
        }
        Command::Backup { db, to } => {
            let pool = open(&db)?;
            let mut conn = pool.get().map_err(|e| anyhow::anyhow!("{e}"))?;
            shequ_store::backup(&mut conn, &to).map_err(|e| anyhow::anyhow!("{e}"))?;
            println!(
                "已备份到 {}。密钥文件不在备份中，请另行妥善保存。",
                to.display()
            );
        }
        Command::Import {
            db,
            file,
            kind,
            grid,
            as_user,
            dry_run,
            json,
            accept_updates,
            map,
        } => {
            let pool = open(&db)?;
            import::run(
                &pool,
                &import::Request {
                    file: &file,
                    kind: &kind,
                    node: &grid,
                    as_user: &as_user,
                    dry_run,
                    json,
                    accept_updates,
                    map: &map,
                },
            )?;
        }
        Command::Open311Key {
            db,
            name,
            node,
            as_user,
        } => {
            let pool = open(&db)?;
            let mut conn = pool.get().map_err(|e| anyhow::anyhow!("{e}"))?;
            let actor = shequ_store::Actor::load_by_username(&mut conn, &as_user)
                .map_err(|e| anyhow::anyhow!("{e}"))?;
            let node_id = shequ_store::imports::node_by_path(&mut conn, &node)
                .map_err(|e| anyhow::anyhow!("{e}"))?;
            let key = shequ_store::tickets::open311::add_key(&mut conn, &actor, &name, node_id)
                .map_err(|e| anyhow::anyhow!("{e}"))?;
            println!("{key}");
            eprintln!(
                "已为“{name}”开通网上报事接口。上面这串 api_key 只显示这一次，请交给对方妥善保存。"
            );
        }
        Command::Report {
            db,
            node,
            period,
            worker,
            format,
            out,
        } => {
            let pool = open(&db)?;
            let mut conn = pool.get().map_err(|e| anyhow::anyhow!("{e}"))?;
            if format == report::Format::Docx && out.is_none() {
                anyhow::bail!("--format docx 要写入文件：请加上 --out 文件名.docx");
            }
            let bytes = match worker {
                Some(w) => report::personal(&mut conn, &w, &period, format)?,
                None => report::run(&mut conn, node.as_deref(), &period, format)?,
            };
            match out {
                Some(path) => std::fs::write(&path, bytes)
                    .with_context(|| format!("无法写入 {}", path.display()))?,
                None => {
                    use std::io::Write as _;
                    std::io::stdout().write_all(&bytes)?;
                }
            }
        }
        Command::Routes => {
            println!(
                "{}",
                serde_json::to_string_pretty(&shequ_web::route_table())?
            );
        }
        Command::Audit {
            command: AuditCommand::Verify { db },
        } => {
            let pool = open(&db)?;
            let mut conn = pool.get().map_err(|e| anyhow::anyhow!("{e}"))?;
            let verdict = shequ_store::access::audit::verify(&mut conn)
                .map_err(|e| anyhow::anyhow!("{e}"))?;
            match verdict.first_problem {
                None => println!("审计日志完整：共 {} 条，哈希链无断裂。", verdict.rows),
                Some((seq, what)) => bail!(
                    "审计日志已被改动：{what}（自第 {seq} 条起不可信；已核对 {} 条）",
                    verdict.rows
                ),
            }
        }
        Command::User {
            command: UserCommand::Disable { db, username },
        } => {
            let pool = open(&db)?;
            let mut conn = pool.get().map_err(|e| anyhow::anyhow!("{e}"))?;
            users::set_active(&mut conn, &username, false).map_err(|e| anyhow::anyhow!("{e}"))?;
            println!("已停用用户 {username}，其会话已全部结束");
        }
        Command::User {
            command:
                UserCommand::Grant {
                    db,
                    username,
                    area,
                    reason,
                },
        } => {
            let pool = open(&db)?;
            let mut conn = pool.get().map_err(|e| anyhow::anyhow!("{e}"))?;
            users::grant_people(&mut conn, &username, area, &reason)
                .map_err(|e| anyhow::anyhow!("{e}"))?;
            println!("已授权 {username} 查看节点 {area} 下的人员信息");
        }
        Command::User {
            command: UserCommand::Revoke { db, username, area },
        } => {
            let pool = open(&db)?;
            let mut conn = pool.get().map_err(|e| anyhow::anyhow!("{e}"))?;
            let n = users::revoke_people(&mut conn, &username, area)
                .map_err(|e| anyhow::anyhow!("{e}"))?;
            println!("已撤销 {username} 在节点 {area} 的 {n} 项授权");
        }
        Command::User {
            command: UserCommand::ResetTotp { db, username },
        } => {
            let pool = open(&db)?;
            let mut conn = pool.get().map_err(|e| anyhow::anyhow!("{e}"))?;
            shequ_store::access::second_factor::reset(&mut conn, &username)
                .map_err(|e| anyhow::anyhow!("{e}"))?;
            let code = shequ_store::access::second_factor::issue_binding_code(&mut conn, &username)
                .map_err(|e| anyhow::anyhow!("{e}"))?;
            println!("{code}");
            eprintln!(
                "已重置 {username} 的手机验证器，其会话已全部结束。上面是重新绑定用的一次性绑定码（{} 小时内有效），请当面或电话告知本人。",
                shequ_store::access::second_factor::BIND_CODE_HOURS
            );
        }
        Command::User {
            command: UserCommand::BindCode { db, username },
        } => {
            let pool = open(&db)?;
            let mut conn = pool.get().map_err(|e| anyhow::anyhow!("{e}"))?;
            let code = shequ_store::access::second_factor::issue_binding_code(&mut conn, &username)
                .map_err(|e| anyhow::anyhow!("{e}"))?;
            println!("{code}");
            eprintln!(
                "这是 {username} 首次绑定手机验证器用的一次性绑定码（{} 小时内有效，用后作废）。请当面或电话告知本人，不要经由他人转交。",
                shequ_store::access::second_factor::BIND_CODE_HOURS
            );
        }
        Command::User {
            command: UserCommand::Enable { db, username },
        } => {
            let pool = open(&db)?;
            let mut conn = pool.get().map_err(|e| anyhow::anyhow!("{e}"))?;
            users::set_active(&mut conn, &username, true).map_err(|e| anyhow::anyhow!("{e}"))?;
            println!("已启用用户 {username}");
        }
        Command::User {
            command:
                UserCommand::Add {
                    db,
                    username,
                    name,
                    role,
                    areas,
                },
        } => {
            let Some(role) = Role::parse(&role) else {
                bail!(
                    "角色“{role}”无法识别，可选：grid_worker、line_worker、community_head、street_staff、district_admin、admin、security_admin、auditor"
                );
            };
            let mut password = String::new();
            std::io::stdin()
                .read_to_string(&mut password)
                .context("读取密码失败")?;
            let pool = open(&db)?;
            let mut conn = pool.get().map_err(|e| anyhow::anyhow!("{e}"))?;
            let id = users::create(
                &mut conn,
                &users::NewUser {
                    username: &username,
                    display_name: &name,
                    password: password.trim_end_matches(['\r', '\n']),
                    role,
                    scope: &areas,
                },
            )
            .map_err(|e| anyhow::anyhow!("{e}"))?;
            println!("已创建用户 {username}（编号 {id}）");
        }
    }
    Ok(())
}
