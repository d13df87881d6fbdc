/** Ports of sign-in sessions and the TOTP second factor (decision 0032); implemented in storage/. */

export interface StaffAuditContext {
  by: string;
  requestId: string | null;
}

export interface SessionView {
  id: string;
  username: string;
  userAgent: string | null;
  ip: string | null;
  secondFactor: boolean;
  createdAt: string;
  lastSeenAt: string;
  expiresAt: string;
}

export interface SessionDirectory {
  create(session: {
    username: string;
    userAgent: string | null;
    ip: string | null;
    secondFactor: boolean;
    expiresAt: Date;
  }): Promise<string>;
  active(username: string, opts: { limit: number; after?: string }): Promise<SessionView[]>;
  revoke(username: string, id: string, audit: StaffAuditContext): Promise<boolean>;
}

/** Outcome of a TOTP code: accepted (and used up), wrong or replayed, or no such enrolment. */
export type TotpCheck = "ok" | "invalid" | "not-enrolled";

export interface SecondFactor {
  status(username: string): Promise<{ enrolled: boolean; pending: boolean; confirmedAt: string | null }>;
  enrol(username: string, audit: StaffAuditContext): Promise<string | undefined>;
  confirm(username: string, code: string, audit: StaffAuditContext): Promise<TotpCheck>;
  enrolled(username: string): Promise<boolean>;
  verify(username: string, code: string): Promise<TotpCheck>;
  disable(username: string, code: string | null, audit: StaffAuditContext): Promise<TotpCheck>;
}
