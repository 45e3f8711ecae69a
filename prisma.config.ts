// Used by `prisma generate` only (see scripts/prisma-generate.js); the app passes its connection
// to the client through @prisma/adapter-pg.
import { defineConfig } from 'prisma/config';

export default defineConfig({
  schema: 'prisma/schema.prisma',
});
