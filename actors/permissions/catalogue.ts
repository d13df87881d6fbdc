/**
 * THE permission catalogue (issue 14, decision 0032): every permission the back office checks, named
 * `area:action`, with what it allows in zh-CN and en, so a UI can render or hide its buttons and an admin
 * can compose roles from it. Every route carries exactly one of these (`RouteDoc.permission`), every
 * second check inside a handler names one, every built-in role holds only these, and a custom role may
 * only be given these (or `*` / `area:*` of a catalogued area). `tests/permissions.test.ts` and
 * `tests/route-permissions.test.ts` hold the code to it: a permission used anywhere and missing here fails.
 *
 * Adding a permission: an entry here (both languages), the built-in roles that hold it
 * (`BUILTIN_ROLES` in storage/users.ts) and the same in `WHO_HOLDS` (tests/route-permissions.test.ts).
 * Existing names never change meaning; finer ones are added beside them.
 */

export interface PermissionDescription {
  "zh-CN": string;
  en: string;
}

export interface CataloguedPermission {
  name: string;
  description: PermissionDescription;
}

/**
 * Held implicitly by every signed-in user (never granted, never revocable on its own): the caller's own
 * account, sessions and second factor, and this catalogue. It exists so that "every authenticated route
 * carries exactly one permission" holds without exceptions.
 */
export const SELF_ACCESS = "self:access";

const entries: ReadonlyArray<readonly [string, string, string]> = [
  // name, zh-CN, en
  [
    SELF_ACCESS,
    "访问本人账号：个人信息、本人会话、两步验证、权限目录（所有登录用户默认拥有）",
    "Own account: profile, own sessions, second factor, the permission catalogue (every signed-in user)",
  ],
  ["session:read", "查看任意用户的登录会话", "List any user's sign-in sessions"],
  ["session:revoke", "注销任意用户的登录会话", "Revoke any user's sign-in sessions"],
  ["user:read", "查看员工账号与角色", "View staff accounts and roles"],
  [
    "user:write",
    "创建、修改、停用员工账号，设置密码，编辑自定义角色",
    "Create, change and disable staff accounts, set passwords, edit custom roles",
  ],
  [
    "access_review:read",
    "查看权限复核活动、复核项及其结果",
    "View access review campaigns, their items and outcomes",
  ],
  [
    "access_review:decide",
    "作为主管确认或撤销本团队成员的角色授权",
    "As a manager, confirm or revoke your own team's role grants",
  ],
  [
    "access_review:configure",
    "立即发起权限复核、设置复核计划与到期策略",
    "Start an access review now, set its schedule and expiry policy",
  ],
  [
    "audit:read",
    "查看审计日志、校验哈希链与保留策略",
    "Read the audit log, verify its hash chain and see the retention policy",
  ],
  ["audit:configure", "修改审计日志保留策略", "Change the audit log retention policy"],
  ["inventory:read", "查看库存", "View stock levels"],
  ["inventory:write", "调整库存、设置安全库存", "Adjust stock and safety stock"],
  ["inventory:hold", "预占、释放和提交库存占用", "Place, release and commit stock holds"],
  ["warehouse:read", "查看仓库、库位、波次与盘点", "View warehouses, locations, waves and stock checks"],
  [
    "warehouse:write",
    "管理仓库、库位、上架、波次拣货与盘点",
    "Manage warehouses, locations, put-away, wave picking and stock checks",
  ],
  ["product:read", "查看类目、商品、SKU 与价格", "View categories, products, SKUs and prices"],
  [
    "product:write",
    "编辑类目、商品、SKU、上下架与价格",
    "Edit categories, products, SKUs, listing and prices",
  ],
  ["order:read", "查看订单", "View orders"],
  ["order:write", "下单、取消订单、售后处理", "Place and cancel orders, handle after-sales"],
  ["order:fulfil", "订单发货与履约", "Ship and fulfil orders"],
  ["order:approve", "审核订单与售后", "Approve orders and after-sales requests"],
  ["customer:pii", "查看客户的完整联系信息（不脱敏）", "See customers' full contact data (unmasked)"],
  [
    "pii:phone",
    "查看完整手机号（客户、供应商联系人，不脱敏）",
    "See phone numbers unmasked (customers, supplier contacts)",
  ],
  ["pii:address", "查看完整收货地址与收货人（不脱敏）", "See street addresses and receivers' names unmasked"],
  ["pii:id_card", "查看完整身份证号（不脱敏）", "See ID-card numbers unmasked"],
  [
    "pii:bank_card",
    "查看完整银行卡号/银行账号（如供应商收款账户，不脱敏）",
    "See bank card and account numbers unmasked (e.g. suppliers' payout accounts)",
  ],
  ["pii:email", "查看完整电子邮箱（不脱敏）", "See e-mail addresses unmasked"],
  ["member:read", "查看会员", "View members"],
  ["payment:read", "查看支付与退款", "View payments and refunds"],
  ["payment:write", "发起退款等支付操作", "Refunds and other payment operations"],
  ["payment:reconcile", "导入对账单并对账", "Import statements and reconcile payments"],
  ["payment:simulate", "模拟支付渠道回调（测试环境）", "Simulate payment channel callbacks (test installs)"],
  [
    "carrier:simulate",
    "模拟承运商轨迹回传（测试环境）",
    "Simulate carrier tracking callbacks (test installs)",
  ],
  ["ops:read", "查看投影死信等运维信息", "View operations data: projector dead letters"],
  ["ops:write", "重放投影死信等运维操作", "Operations: replay parked projector events"],
  ["jobs:read", "查看定时任务及其运行记录", "View scheduled jobs and their runs"],
  ["jobs:run", "立即运行定时任务", "Run a scheduled job now"],
  ["jobs:write", "修改定时任务的计划与启停", "Change scheduled jobs' schedules, enable or disable them"],
  ["notification:read", "查看站内通知", "View notifications"],
  ["notification:ack", "确认站内通知", "Acknowledge notifications"],
  ["webhook:read", "查看 Webhook 订阅与投递记录", "View webhook subscriptions and deliveries"],
  ["webhook:write", "管理 Webhook 订阅", "Manage webhook subscriptions"],
  ["review:read", "查看商品评价", "View product reviews"],
  ["review:write", "代买家提交评价", "Submit reviews for buyers"],
  [
    "review:moderate",
    "审核评价、商家回复、维护屏蔽词",
    "Moderate reviews, reply, edit the blocked-word list",
  ],
  ["coupon:read", "查看优惠券", "View coupons"],
  ["coupon:write", "创建与管理优惠券模板", "Create and manage coupon templates"],
  ["coupon:claim", "为会员领取优惠券", "Claim coupons for members"],
  ["promotion:read", "查看促销、秒杀、拼团与预售", "View promotions, flash sales, group buys and presales"],
  [
    "promotion:write",
    "管理促销、秒杀、拼团与预售",
    "Manage promotions, flash sales, group buys and presales",
  ],
  ["segment:read", "查看会员标签与人群", "View member tags and segments"],
  ["segment:write", "管理会员标签与人群", "Manage member tags and segments"],
  ["segment:push", "向人群推送消息", "Push messages to a segment"],
  ["supplier:read", "查看供应商", "View suppliers"],
  ["supplier:write", "管理供应商", "Manage suppliers"],
  ["supplier:contact", "查看供应商的完整联系信息（不脱敏）", "See suppliers' full contact data (unmasked)"],
  ["supplier:review", "评价供应商", "Rate suppliers"],
  ["purchase:read", "查看采购计划、采购单与收货", "View purchase plans, purchase orders and receipts"],
  ["purchase:write", "编辑采购计划与采购单", "Edit purchase plans and purchase orders"],
  ["purchase:approve", "审批采购单", "Approve purchase orders"],
  ["purchase:receive", "采购收货", "Receive purchase orders"],
  ["purchase:configure", "修改采购设置（审批阈值等）", "Change purchasing settings (approval thresholds)"],
  ["approval:read", "查看审批请求、审批规则与委托", "View approval requests, approval rules and delegations"],
  [
    "approval:decide",
    "审批（同意或驳回）可由本人审批的请求，委托他人代为审批",
    "Approve or reject the requests one may decide; delegate one's approvals to another user",
  ],
  [
    "approval:configure",
    "配置审批规则（受控操作、阈值、审批链、时限）",
    "Configure approval rules (guarded actions, thresholds, chains, expiry)",
  ],
  [
    "cms:read",
    "查看内容页面及其版本、A/B 实验结果",
    "View content pages, their versions and A/B experiment results",
  ],
  [
    "cms:write",
    "编辑、发布、回滚内容页面；管理 A/B 实验；生成预览链接",
    "Edit, publish and roll back content pages; run A/B experiments; issue preview links",
  ],
];

/** Every permission, in the order above (areas grouped). */
export const PERMISSION_CATALOGUE: readonly CataloguedPermission[] = entries.map(([name, zh, en]) => ({
  name,
  description: { "zh-CN": zh, en },
}));

const NAMES: ReadonlySet<string> = new Set(PERMISSION_CATALOGUE.map((p) => p.name));
const AREAS: ReadonlySet<string> = new Set(PERMISSION_CATALOGUE.map((p) => p.name.split(":")[0]!));

/** Whether `name` is a catalogued permission (exact name; no wildcards). */
export function isCatalogued(name: string): boolean {
  return NAMES.has(name);
}

/**
 * Whether a role may be granted `name`: a catalogued permission, `*`, or `area:*` of a catalogued area.
 * `self:access` is never granted (every signed-in user holds it), so it is refused here too.
 */
export function isGrantable(name: string): boolean {
  if (name === "*") return true;
  if (name === SELF_ACCESS) return false;
  if (name.endsWith(":*")) return AREAS.has(name.slice(0, -2));
  return NAMES.has(name);
}
