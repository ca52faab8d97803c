# The platform's image: one image, two roles (API or worker), chosen by the command.
FROM node:20-bookworm-slim
WORKDIR /app
ENV NODE_ENV=production
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY . .
RUN useradd --system --uid 10001 graphflow && chown -R graphflow /app
USER graphflow
EXPOSE 3000
CMD ["npm", "run", "api"]
