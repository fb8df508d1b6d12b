# Production image for the API and the worker (same image, different command).
FROM node:20-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY src ./src
COPY workflows ./workflows
COPY activities ./activities
COPY migrations ./migrations
COPY data ./data
COPY scripts ./scripts
COPY portal ./portal
# devDependencies (tsx, typescript, the development servers' packages) stay in this stage.
RUN npm run build && npm prune --omit=dev

FROM node:20-bookworm-slim
WORKDIR /app
ENV NODE_ENV=production
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
COPY --from=build /app/portal/dist ./portal/dist
# Reference data the catalogue migration loads (data/README.md).
COPY --from=build /app/data ./data
COPY package.json ./
USER node
CMD ["node", "dist/src/main-api.js"]
