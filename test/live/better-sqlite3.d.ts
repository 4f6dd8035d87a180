// Minimal types for the tests' own connections to a SQLite file (the package ships none).
declare module 'better-sqlite3' {
  export interface Statement {
    get(...params: unknown[]): unknown;
  }
  export interface SqliteDatabase {
    prepare(sql: string): Statement;
    exec(sql: string): void;
    close(): void;
  }
  const Database: new (path: string, options?: { readonly?: boolean; fileMustExist?: boolean }) => SqliteDatabase;
  export default Database;
}
