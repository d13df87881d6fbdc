/**
 * A supplier's contact person is personal data like a customer's: every door (HTTP answers, exports)
 * shows the phone and e-mail masked unless the caller holds this permission (issue 14 item 6).
 */
export const SUPPLIER_CONTACT_PERMISSION = "supplier:contact";

interface Contact {
  name?: string;
  phone?: string;
  email?: string;
}

/** `13800001234` → `*******1234`; `li.lei@example.com` → `l***@example.com`; `李雷` → `李*`. */
export function maskContact<C extends Contact>(contact: C): C {
  const masked: C = { ...contact };
  if (contact.name !== undefined) masked.name = `${[...contact.name][0] ?? ""}*`;
  if (contact.phone !== undefined) masked.phone = contact.phone.replace(/\d(?=\d{4})/g, "*");
  if (contact.email !== undefined) {
    const at = contact.email.lastIndexOf("@");
    masked.email = at > 0 ? `${[...contact.email][0]}***${contact.email.slice(at)}` : "***";
  }
  return masked;
}

/** A supplier-shaped value with its `contact` as this viewer may see it. */
export function maskSupplier<T extends object>(supplier: T, seesContact: boolean): T {
  const contact = (supplier as { contact?: Contact | null }).contact;
  if (seesContact || contact === undefined || contact === null) return supplier;
  return { ...supplier, contact: maskContact(contact) };
}
