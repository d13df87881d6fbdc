/**
 * The permissions domain's public face (issue 14): the catalogue of every permission (decision 0032).
 * Other builders' permission code (data scope, masking) lives beside it in its own files.
 */
export {
  type CataloguedPermission,
  isCatalogued,
  isGrantable,
  PERMISSION_CATALOGUE,
  type PermissionDescription,
  SELF_ACCESS,
} from "./catalogue.ts";
/** Masking policies for personal data (decision 0037). */
export {
  BROAD_PII_PERMISSIONS,
  MASKERS,
  maskBankCard,
  maskEmail,
  maskedView,
  maskIdCard,
  maskName,
  maskPhone,
  maskPii,
  maskStreet,
  PII_FIELDS,
  PII_PERMISSIONS,
  type PiiField,
  type PiiSubject,
  type PiiView,
  piiView,
  redactForLog,
  redactText,
  unmaskedFields,
  viewKey,
} from "./masking.ts";
/** Data scope on role grants (decision 0033). */
export {
  type DataScope,
  dataScopeSchema,
  type Grant,
  listGrants,
  normalizeScope,
  type OrderScopeFacts,
  orderFactsOfView,
  orderInScope,
  type PurchaseOrderScopeFacts,
  purchaseOrderInScope,
  type ScopedPrincipal,
  type ScopeFilter,
  scopeFor,
  supplierInScope,
  type WarehouseScopeFacts,
  warehouseInScope,
} from "./scope.ts";
