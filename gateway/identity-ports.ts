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
