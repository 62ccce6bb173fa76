# agent-chat as a container (README "Running it for an organisation"): the built CLI, production dependencies only.
# Run many of these against one Redis (AGENT_CHAT_REDIS) behind a load balancer; compose.yaml wires it all up.
FROM node:20-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json tsconfig.json tsconfig.build.json ./
COPY src ./src
COPY public ./public
COPY bin ./bin
# npm ci runs `prepare`, which builds dist/ with tsc; no dependency has an install script.
RUN npm ci --no-audit --no-fund && npm prune --omit=dev --omit=optional --no-audit --no-fund

FROM node:20-bookworm-slim
ENV NODE_ENV=production AGENT_CHAT_HOME=/tmp/agent-chat
WORKDIR /app
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
COPY bin ./bin
COPY public ./public
COPY skills ./skills
COPY package.json README.md ./
USER node
EXPOSE 8765
# SIGTERM (docker stop) closes streams cleanly and leaves the shared room to the other instances.
STOPSIGNAL SIGTERM
ENTRYPOINT ["node", "bin/agent-chat.mjs", "serve"]
CMD ["--host", "0.0.0.0", "--port", "8765", "--no-qr", "--json"]
