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
