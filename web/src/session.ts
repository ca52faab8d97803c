// The API key lives in session storage: it goes when the tab closes, and signing out forgets it at once.
const STORAGE_KEY = 'graphflow.apiKey';

export const storedKey = (): string | null => sessionStorage.getItem(STORAGE_KEY);
export const rememberKey = (key: string) => sessionStorage.setItem(STORAGE_KEY, key);
export const forgetKey = () => sessionStorage.removeItem(STORAGE_KEY);
