// Minimal types for the read-only second connection the live tests open (the package ships none).
declare module 'better-sqlite3' {
  export interface Statement {
    get(...params: unknown[]): unknown;
  }
  export interface SqliteDatabase {
    prepare(sql: string): Statement;
    close(): void;
  }
  const Database: new (path: string, options?: { readonly?: boolean; fileMustExist?: boolean }) => SqliteDatabase;
  export default Database;
}
