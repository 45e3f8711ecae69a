# One image for the `api` and `worker` services (docker-compose.yml builds it once, as dmasim:local,
# and picks the command); the api also serves the built dashboard (dist/web) at /.
FROM node:20-bookworm-slim AS build
# node:20 images ship npm 10; the lockfile and package.json's allowScripts are written for npm 11,
# and npm 10 would run the install scripts that try to download engines (no network in CI builds).
ARG NPM_VERSION=11.19.1
RUN npm install -g npm@${NPM_VERSION} && npm --version
WORKDIR /app
COPY package.json package-lock.json ./
COPY scripts ./scripts
COPY prisma ./prisma
COPY prisma.config.ts ./
RUN npm ci
COPY . .
# The API process serves the dashboard from dist/web (src/api/web.ts) when it exists.
RUN npm run build && npm run build:web && test -f dist/web/index.html && npm prune --omit=dev

FROM node:20-bookworm-slim
ENV NODE_ENV=production
WORKDIR /app
COPY --from=build /app/package.json /app/package-lock.json ./
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
COPY --from=build /app/bin ./bin
COPY --from=build /app/prisma ./prisma
COPY --from=build /app/examples ./examples
USER node
EXPOSE 4000
HEALTHCHECK --interval=10s --timeout=3s --retries=5 CMD node -e "fetch('http://127.0.0.1:'+(process.env.PORT||4000)+'/healthz').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"
CMD ["node", "bin/dmasim.js", "serve"]
