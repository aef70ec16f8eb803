# payseal container image. PostgreSQL is the system of record in a container: set DATABASE_URL and
# PAYSEAL_KEK (or PAYSEAL_KEK_FILE from a mounted secret). Without DATABASE_URL it falls back to embedded
# PostgreSQL in /data, which suits a single replica with a persistent volume only.
FROM node:20-bookworm-slim

ENV NODE_ENV=production \
    HOST=0.0.0.0 \
    PORT=8080 \
    PAYSEAL_DATA_DIR=/data

WORKDIR /app
COPY package.json package-lock.json ./
# tsx is a runtime dependency (the sources are TypeScript, compiled on load); dev tools are left out.
RUN npm ci --omit=dev --no-audit --no-fund && npm cache clean --force
COPY bin ./bin
COPY src ./src
COPY scripts ./scripts

RUN mkdir -p /data && chown node:node /data
USER node
VOLUME ["/data"]
EXPOSE 8080

HEALTHCHECK --interval=10s --timeout=3s --start-period=20s \
  CMD node -e "fetch('http://127.0.0.1:'+(process.env.PORT||8080)+'/healthz').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"

ENTRYPOINT ["node", "bin/payseal.js"]
CMD ["serve"]
