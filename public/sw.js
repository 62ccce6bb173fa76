// The page's service worker. It exists so mention notifications reach phones: Android Chrome shows notifications
// only through a service worker's showNotification, and iOS only for a page installed to the home screen. It caches
// nothing and never sees a message (the page hands it only the notification's title and first line).
self.addEventListener("install", () => self.skipWaiting());
self.addEventListener("activate", (e) => e.waitUntil(self.clients.claim()));

// A tap on the notification brings the room's tab forward (or opens the room when none is open).
self.addEventListener("notificationclick", (e) => {
  e.notification.close();
  e.waitUntil(
    (async () => {
      const tabs = await self.clients.matchAll({ type: "window", includeUncontrolled: true });
      const tab = tabs.find((c) => new URL(c.url).origin === self.location.origin);
      if (tab) return tab.focus();
      return self.clients.openWindow(self.registration.scope);
    })(),
  );
});
